//! `datetime.date` and `datetime.datetime` parameters, parsed as pydantic (lax mode)
//! parses text: with pydantic's own parser (`speedate`), the same fallbacks (a date
//! for a datetime, a midnight datetime for a date) and the same errors.

use crate::params::Failed;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDelta, PyDict, PyString, PyTzInfo};
use speedate::{
    Date, DateTime, DateTimeConfig, MicrosecondsPrecisionOverflowBehavior, ParseError, TimeConfig,
};
use strum::EnumMessage;

/// Pydantic's configuration: fraction digits past 6 are dropped, a number is a
/// Unix timestamp in UTC.
fn config() -> DateTimeConfig {
    DateTimeConfig {
        time_config: TimeConfig {
            microseconds_precision_overflow_behavior:
                MicrosecondsPrecisionOverflowBehavior::Truncate,
            unix_timestamp_offset: Some(0),
        },
        ..Default::default()
    }
}

/// `2024-01-31` (or a datetime at exactly midnight) → `datetime.date`.
pub fn date<'py>(py: Python<'py>, text: &str) -> PyResult<Result<Bound<'py, PyAny>, Failed>> {
    if let Ok(d) = Date::parse_str(text) {
        return Ok(Ok(py_date(py, &d)?));
    }
    Ok(match DateTime::parse_str_with_config(text, &config()) {
        Ok(dt)
            if (
                dt.time.hour,
                dt.time.minute,
                dt.time.second,
                dt.time.microsecond,
            ) == (0, 0, 0, 0) =>
        {
            Ok(py_date(py, &dt.date)?)
        }
        Ok(_) => Err((
            "date_from_datetime_inexact",
            "Datetimes provided to dates should have zero time - e.g. be exact dates".into(),
            None,
        )),
        Err(e) => Err(parsing(
            py,
            "date_from_datetime_parsing",
            "Input should be a valid date or datetime",
            &e,
        )?),
    })
}

/// `2024-01-31T10:00:00`, with `Z` or an offset for an aware one, or a date (at
/// midnight) → `datetime.datetime`.
pub fn datetime<'py>(py: Python<'py>, text: &str) -> PyResult<Result<Bound<'py, PyAny>, Failed>> {
    let dt = match DateTime::parse_str_with_config(text, &config()) {
        Ok(dt) => dt,
        Err(_) => match Date::parse_str(text) {
            Ok(d) => {
                return Ok(Ok(PyDateTime::new(
                    py,
                    d.year.into(),
                    d.month,
                    d.day,
                    0,
                    0,
                    0,
                    0,
                    None,
                )?
                .into_any()))
            }
            Err(e) => {
                let msg = "Input should be a valid datetime or date";
                return Ok(Err(parsing(py, "datetime_from_date_parsing", msg, &e)?));
            }
        },
    };
    let tz = match dt.time.tz_offset {
        None => None,
        Some(0) => Some(PyTzInfo::utc(py)?.to_owned()),
        Some(secs) => Some(PyTzInfo::fixed_offset(
            py,
            PyDelta::new(py, 0, secs, 0, true)?,
        )?),
    };
    let (d, t) = (&dt.date, &dt.time);
    let value = PyDateTime::new(
        py,
        d.year.into(),
        d.month,
        d.day,
        t.hour,
        t.minute,
        t.second,
        t.microsecond,
        tz.as_ref(),
    )?;
    Ok(Ok(value.into_any()))
}

fn py_date<'py>(py: Python<'py>, d: &Date) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyDate::new(py, d.year.into(), d.month, d.day)?.into_any())
}

/// Pydantic's parsing failure: "Input should be ..., input is too short", with the
/// parser's words as `ctx.error`.
fn parsing(py: Python<'_>, kind: &'static str, lead: &str, e: &ParseError) -> PyResult<Failed> {
    let error = e.get_documentation().unwrap_or_default();
    let ctx = PyDict::new(py);
    ctx.set_item("error", PyString::new(py, error))?;
    Ok((
        kind,
        format!("{lead}, {error}").into(),
        Some(ctx.into_any().unbind()),
    ))
}

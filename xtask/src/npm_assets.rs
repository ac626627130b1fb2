//! The browser assets of `/docs` (Swagger UI) and `/redoc` (ReDoc), taken from their
//! npm packages at build time and shipped inside the wheel, so the docs pages work
//! offline. They are never committed: the pins below are the dependency, like a
//! crate's version and checksum in `Cargo.lock`.
//!
//! Each tarball is downloaded once into `target/npm/` with curl, checked against the
//! npm registry's `dist.integrity` (sha512) pinned here, and only the files the
//! pages need, with their licenses, are extracted into `python/cello/_static/`
//! (gitignored; maturin puts it in the wheel through `pyproject.toml`'s `include`).

use crate::sh;
use std::path::Path;
use std::process::Command;

/// One npm package: what is fetched and what of it ships.
struct Package {
    name: &'static str,
    version: &'static str,
    /// The registry's `dist.integrity` for this version.
    integrity: &'static str,
    /// The folder under `python/cello/_static/`.
    dest: &'static str,
    /// Paths inside the tarball (under `package/`) copied to `dest`, flattened.
    files: &'static [&'static str],
}

const PACKAGES: &[Package] = &[
    Package {
        name: "swagger-ui-dist",
        version: "5.35.0",
        integrity: "sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        dest: "swagger-ui",
        files: &[
            "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css",
            "LICENSE",
            "NOTICE",
        ],
    },
    Package {
        name: "redoc",
        version: "3.0.1",
        integrity: "sha512-KDfoKaYW19LCl4YStgBnwlaNjYEFfs5zCNt1s1WZ2YM5u8d26Yuzd2l43fZO851ZsgIMe/D640fDJkD8eaRQKQ==",
        dest: "redoc",
        files: &["bundles/redoc.standalone.js", "LICENSE"],
    },
];

/// Makes `python/cello/_static/` hold the pinned assets (a no-op when it already does).
pub fn ensure() -> Result<(), String> {
    let cache = sh::root().join("target/npm");
    let statics = sh::root().join("python/cello/_static");
    for pkg in PACKAGES {
        let dest = statics.join(pkg.dest);
        let stamp = dest.join(".version");
        let wanted = format!("{}@{} {}", pkg.name, pkg.version, pkg.integrity);
        let complete = pkg.files.iter().all(|f| dest.join(file_name(f)).exists());
        if complete && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            continue;
        }
        std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
        let tarball = cache.join(format!("{}-{}.tgz", pkg.name, pkg.version));
        if !tarball.exists() || verify(&tarball, pkg.integrity).is_err() {
            let url = format!(
                "https://registry.npmjs.org/{0}/-/{0}-{1}.tgz",
                pkg.name, pkg.version
            );
            sh::run(
                Command::new("curl")
                    .args(["-sSfL", "--retry", "3", "-o"])
                    .arg(&tarball)
                    .arg(&url),
            )
            .map_err(|e| format!("downloading {url} (needs curl and the npm registry): {e}"))?;
        }
        verify(&tarball, pkg.integrity)?;
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        let mut tar = Command::new("tar");
        tar.arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dest)
            // Flattened: `package/bundles/x.js` lands as `x.js`.
            .arg("--transform=s,.*/,,");
        for f in pkg.files {
            tar.arg(format!("package/{f}"));
        }
        sh::run(&mut tar)?;
        std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Checks `file` against an npm `sha512-<base64>` integrity string.
fn verify(file: &Path, integrity: &str) -> Result<(), String> {
    let out = Command::new("sha512sum")
        .arg(file)
        .output()
        .map_err(|e| format!("running sha512sum: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text.split_whitespace().next().unwrap_or("");
    let digest: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let found = format!("sha512-{}", base64(&digest));
    if digest.len() != 64 || found != integrity {
        return Err(format!(
            "{} does not match its pinned integrity (expected {integrity}, found {found}); \
             delete it and build again, or update the pin in xtask/src/npm_assets.rs",
            file.display()
        ));
    }
    Ok(())
}

/// Standard base64 with padding, as npm writes integrity strings.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads_like_npm_integrity_strings() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}

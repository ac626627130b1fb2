//! What a server costs, read from `/proc`: CPU time and resident memory of its process tree.
//!
//! `/proc/<pid>/stat` of a process counts the time of all its threads, so summing over the
//! processes of the tree (Granian and Robyn fork workers) gives the server's whole cost.

use std::fs;
use std::sync::OnceLock;

/// `root` and every process descended from it, found through the parent ids in `/proc`.
pub fn tree(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat_fields(pid)?.get(1)?.parse().ok()?)))
        .collect();
    let mut all = vec![root];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        all.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    all
}

/// User + system CPU time of `pids` (all threads of each), in clock ticks.
pub fn cpu_ticks(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|&pid| {
            let f = stat_fields(pid)?;
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

/// Resident memory of `pids` (`VmRSS` summed), in KiB.
pub fn rss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| {
            let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum()
}

/// Clock ticks per second (`getconf CLK_TCK`, asked once; 100 when it cannot be asked).
pub fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100)
    })
}

/// The fields of `/proc/<pid>/stat` after the command name, which may hold spaces:
/// index 0 is the state, 1 the parent id, 11 utime, 12 stime.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

fn parse_stat(stat: &str) -> Option<Vec<String>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_parent_and_cpu_times_past_a_command_name_with_spaces() {
        let line = "42 (my (odd) srv) S 7 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 9 0";
        let f = parse_stat(line).unwrap();
        assert_eq!((f[0].as_str(), f[1].as_str()), ("S", "7"));
        assert_eq!((f[11].as_str(), f[12].as_str()), ("250", "30"));
    }

    #[test]
    fn this_process_has_a_tree_cpu_time_and_memory() {
        let me = std::process::id();
        assert_eq!(tree(me)[0], me);
        assert!(rss_kib(&[me]) > 0);
        let _ = cpu_ticks(&[me]);
    }
}

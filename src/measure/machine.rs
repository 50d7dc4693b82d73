//! What a measurement ran on, and how much memory it took: timings mean nothing without the
//! machine beside them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo (empty where there is none).
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// Threads candle's CPU kernels use (`RAYON_NUM_THREADS`, else all cores).
    pub threads: usize,
}

impl Machine {
    pub fn detect() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| cpu_model(&s))
            .unwrap_or_default();
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            threads: candle_core::utils::get_num_threads(),
        }
    }

    pub fn line(&self) -> String {
        let cpu = if self.cpu.is_empty() {
            "unknown CPU"
        } else {
            &self.cpu
        };
        format!(
            "{cpu} · {} cores · {} thread{}",
            self.cores,
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        )
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == "model name").then(|| v.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// This process's peak resident memory in MiB (`VmHWM`), where the kernel reports it.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm_kib(&status).map(|kib| kib as f64 / 1024.0)
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cpu_model_and_the_high_water_mark() {
        let info = "processor\t: 0\nmodel name\t: AMD EPYC   7B13 64-Core Processor\nflags\t: x\n";
        assert_eq!(
            cpu_model(info).as_deref(),
            Some("AMD EPYC 7B13 64-Core Processor")
        );
        assert_eq!(cpu_model("processor: 0\n"), None);
        let status = "Name:\tbrief\nVmPeak:\t  999 kB\nVmHWM:\t  204800 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(204_800));
    }
}

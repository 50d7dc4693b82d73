//! The library's enums as command-line values. The library knows only their names
//! (`name()`, `ALL`); which of them `--help` explains, and how, is the command line's business.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use brief::briefing::render::Format;
use brief::briefing::Mode;
use brief::briefing::Style;
use brief::llm::model::{DeviceChoice, WeightFormat};
use brief::measure::worker::Kind;

/// A library enum taken by name on the command line.
pub trait Choice: Copy + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    /// Its line under "Possible values" in `--help`, where the values need explaining.
    fn help(self) -> Option<&'static str> {
        None
    }
}

/// Parses a [`Choice`] by name: clap lists the names in `--help` and rejects any other with
/// its usual message (exit 2).
pub fn choice<T: Choice>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::ALL.iter().map(|&v| {
        let value = PossibleValue::new(v.name());
        match v.help() {
            Some(help) => value.help(help),
            None => value,
        }
    }))
    .map(|name| {
        *T::ALL
            .iter()
            .find(|v| v.name() == name)
            .expect("clap accepts only the names of ALL")
    })
}

impl Choice for Mode {
    const ALL: &'static [Self] = &Mode::ALL;
    fn name(self) -> &'static str {
        Mode::name(self)
    }
    fn help(self) -> Option<&'static str> {
        Some(match self {
            Mode::Hybrid => "The model's points, checked, then the best-supported source sentences",
            Mode::Extractive => {
                "Only source sentences, chosen by support across sources and position"
            }
            Mode::Abstractive => "Only the model's points, checked",
        })
    }
}

impl Choice for Style {
    const ALL: &'static [Self] = &Style::ALL;
    fn name(self) -> &'static str {
        Style::name(self)
    }
    fn help(self) -> Option<&'static str> {
        Some(match self {
            Style::Briefing => "A few sentences per article, and a briefing of several points",
            Style::Oneline => "One sentence",
        })
    }
}

impl Choice for DeviceChoice {
    const ALL: &'static [Self] = &DeviceChoice::ALL;
    fn name(self) -> &'static str {
        DeviceChoice::name(self)
    }
}

impl Choice for WeightFormat {
    const ALL: &'static [Self] = &WeightFormat::ALL;
    fn name(self) -> &'static str {
        WeightFormat::name(self)
    }
    fn help(self) -> Option<&'static str> {
        Some(match self {
            WeightFormat::Fast => {
                "brief's own kernels straight on the file's quantized blocks (memory-mapped) for \
                 decode and prompts alike: the fastest on CPU, the leanest, and the default. llama \
                 and qwen2 on CPU; other models and CUDA use `candle`"
            }
            WeightFormat::Lean => {
                "The same as `fast` (kept so scripts that asked for the least memory still run)"
            }
            WeightFormat::Candle => {
                "candle's tensors: Q8_0 weights for decode plus dense f32 for prefill. The \
                 reference the kernels are tested against"
            }
            WeightFormat::Exact => {
                "Dequantize the file's weights to f32 and multiply in plain f32 throughout: no \
                 rounding of activations, slow. The reference for checking the faster formats \
                 (llama and qwen2)"
            }
            WeightFormat::Q8 => {
                "Re-quantize every matrix to Q8_0 at load (candle's vectorised kernel), nothing more"
            }
            WeightFormat::AsFile => {
                "Keep the file's own quantization (candle's kernels for Q4_1/Q5_0 are slow on CPU)"
            }
        })
    }
}

impl Choice for Format {
    const ALL: &'static [Self] = &Format::ALL;
    fn name(self) -> &'static str {
        Format::name(self)
    }
}

impl Choice for Kind {
    const ALL: &'static [Self] = &Kind::ALL;
    fn name(self) -> &'static str {
        Kind::name(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worker jobs and reports carry these enums as serde JSON: the names must agree.
    fn names_are_serde_names<T: Choice + serde::Serialize>() {
        for &v in T::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.name());
        }
    }

    #[test]
    fn command_line_names_are_the_json_names() {
        names_are_serde_names::<Mode>();
        names_are_serde_names::<Style>();
        names_are_serde_names::<DeviceChoice>();
        names_are_serde_names::<WeightFormat>();
    }
}

//! One briefing: the types every command produces, and the renderers that print them.

pub mod render;

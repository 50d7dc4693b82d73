//! Measuring briefings and models: `brief eval` (ROUGE against references), `brief compare`
//! (checkpoints side by side) and `brief bench` (speed and memory), with the worker processes
//! they share and the machine facts printed beside every figure.

pub mod bench;
pub mod compare;
pub mod eval;
pub mod faith;
pub mod machine;
pub mod rouge;
pub mod worker;

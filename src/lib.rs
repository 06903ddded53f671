//! dfmigrate: refactors Dockerfiles the way ruff refactors code.
//!
//! The pipeline is `syntax` (lossless tree) → `model` (typed view) → `transforms` → `engine`
//! (applies fixes to a fixed point) → `emit` (diff, check, write, JSON) → `cli`.

pub mod cli;
pub mod config;
pub mod context;
pub mod diagnostics;
pub mod emit;
pub mod engine;
pub mod knowledge;
pub mod model;
pub mod style;
pub mod syntax;
pub mod transforms;
pub mod verify;
pub mod walk;

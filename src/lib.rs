//! dfmigrate: refactors Dockerfiles the way ruff refactors code.
//!
//! The pipeline is `syntax` (lossless tree) → `model` (typed view) → `transforms` → `engine`
//! (applies fixes to a fixed point) → `emit` (diff, check, write, JSON) → `cli`.

pub mod syntax;

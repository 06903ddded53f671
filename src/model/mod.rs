//! Model: a typed view over a parsed file for transforms to reason about: stages, instructions
//! with BuildKit's splitting of their arguments, and shell commands inside RUN, each mapped back
//! to byte ranges in the source.

use crate::syntax::Parse;

/// The typed view of one parsed Dockerfile.
pub struct Dockerfile<'p> {
    parse: &'p Parse,
}

impl<'p> Dockerfile<'p> {
    pub fn new(parse: &'p Parse) -> Self {
        Dockerfile { parse }
    }

    pub fn parse(&self) -> &'p Parse {
        self.parse
    }

    pub fn text(&self) -> &'p str {
        self.parse.text()
    }
}

//! The subcommands `transforms`, `explain ID` and `parse FILE`.

use super::output::print_stdout;
use super::run::{input_name, read_input};
use super::{ParseFormat, EXIT_ERROR, EXIT_OK};
use crate::config;
use crate::syntax::{self, Token, TokenKind};
use crate::transforms;
use serde::Serialize;
use std::path::Path;

pub(super) fn list_transforms() -> i32 {
    let rows: Vec<[String; 4]> = transforms::all()
        .iter()
        .map(|transform| {
            [
                transform.id().to_owned(),
                if transform.metadata().enabled_by_default {
                    "on"
                } else {
                    "off"
                }
                .to_owned(),
                transform.metadata().max_applicability.as_str().to_owned(),
                transform.metadata().summary.to_owned(),
            ]
        })
        .collect();
    let header = ["ID", "DEFAULT", "FIX", "SUMMARY"].map(str::to_owned);
    let widths: Vec<usize> = (0..3)
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    print_stdout(&out);
    EXIT_OK
}

pub(super) fn explain(id: &str) -> i32 {
    match transforms::by_id(id) {
        Some(transform) => {
            let mut text = transform.metadata().documentation.to_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            print_stdout(&text);
            EXIT_OK
        }
        None => {
            eprintln!(
                "error: unknown transform `{id}` (known: {})",
                config::known_transform_ids()
            );
            EXIT_ERROR
        }
    }
}

/// One token of `parse --format json`.
#[derive(Serialize)]
pub(super) struct JsonToken<'t> {
    pub(super) kind: TokenKind,
    pub(super) text: &'t str,
}

#[derive(Serialize)]
pub(super) struct ParseDocument<'t> {
    pub(super) tokens: Vec<JsonToken<'t>>,
    pub(super) instructions: Vec<syntax::BuildkitInstruction>,
    pub(super) errors: &'t [syntax::SyntaxError],
}

pub(super) fn parse_command(file: &Path, format: ParseFormat) -> i32 {
    let name = input_name(file, None);
    let text = match read_input(file) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("{name}: error: {message}");
            return EXIT_ERROR;
        }
    };
    let parse = syntax::parse_owned(text);
    let out = match format {
        ParseFormat::Tree => parse.tree.dump(),
        ParseFormat::Json => {
            let tokens = parse.tree.root().tokens();
            let document = ParseDocument {
                tokens: tokens
                    .iter()
                    .map(|token| json_token(&parse, *token))
                    .collect(),
                instructions: parse.buildkit_instructions(),
                errors: &parse.errors,
            };
            let mut json = serde_json::to_string(&document).unwrap_or_default();
            json.push('\n');
            json
        }
    };
    print_stdout(&out);
    EXIT_OK
}

pub(super) fn json_token(parse: &syntax::Parse, token: Token) -> JsonToken<'_> {
    JsonToken {
        kind: token.kind,
        text: parse.tree.token_text(token),
    }
}

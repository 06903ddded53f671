//! The import paths of a Go source file, read as the go command reads them: the package
//! clause, then the import declarations (single or parenthesised, with an optional name,
//! interpreted or raw string paths), comments and semicolons skipped. Nothing else is read.

/// The paths the file imports; `None` when it does not start with a package clause followed by
/// import declarations that can be read.
pub(super) fn imports(text: &str) -> Option<Vec<String>> {
    let mut reader = Reader {
        text: text.trim_start_matches('\u{feff}'),
        at: 0,
    };
    reader.skip_trivia();
    if reader.identifier()? != "package" {
        return None;
    }
    reader.skip_trivia();
    reader.identifier()?;
    let mut paths = Vec::new();
    loop {
        reader.skip_trivia();
        if reader.identifier().as_deref() != Some("import") {
            return Some(paths);
        }
        reader.skip_trivia();
        if reader.eat('(') {
            loop {
                reader.skip_trivia();
                if reader.eat(')') {
                    break;
                }
                paths.push(reader.import_spec()?);
            }
        } else {
            paths.push(reader.import_spec()?);
        }
    }
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Reader<'t> {
    fn rest(&self) -> &'t str {
        &self.text[self.at..]
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.rest().starts_with(c);
        if found {
            self.at += c.len_utf8();
        }
        found
    }

    /// Blanks, newlines, semicolons and comments.
    fn skip_trivia(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
            self.at += rest.len() - trimmed.len();
            if let Some(line) = trimmed.strip_prefix("//") {
                self.at += 2 + line.find('\n').unwrap_or(line.len());
            } else if let Some(block) = trimmed.strip_prefix("/*") {
                match block.find("*/") {
                    Some(end) => self.at += 2 + end + 2,
                    None => self.at = self.text.len(),
                }
            } else {
                return;
            }
        }
    }

    fn identifier(&mut self) -> Option<String> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        self.at += end;
        Some(rest[..end].to_owned())
    }

    /// `[name | . | _] "path"`.
    fn import_spec(&mut self) -> Option<String> {
        if !self.eat('.') {
            let before = self.at;
            if self.identifier().is_none() {
                self.at = before;
            }
        }
        self.skip_trivia();
        self.string()
    }

    /// An interpreted (`"…"`, escapes kept as written but for `\"`) or raw (`` `…` ``) string.
    fn string(&mut self) -> Option<String> {
        let rest = self.rest();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '`')?;
        let mut value = String::new();
        let mut chars = rest[1..].char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.at += 1 + index + 1;
                    return Some(value);
                }
                '\\' if quote == '"' => value.push(chars.next()?.1),
                '\n' if quote == '"' => return None,
                c => value.push(c),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::imports;

    #[test]
    fn reads_every_form_of_import() {
        let source = "// Package main.\n/* a\nblock */ package main // x\n\nimport \"fmt\"\nimport (\n\t\"os\" // why\n\tlog \"example.com/m/internal/log\"\n\t. `example.com/m/dot`\n\t_ \"embed\"; \"C\"\n)\n\nfunc main() {}\nimport \"late\"\n";
        assert_eq!(
            imports(source),
            Some(
                [
                    "fmt",
                    "os",
                    "example.com/m/internal/log",
                    "example.com/m/dot",
                    "embed",
                    "C"
                ]
                .map(String::from)
                .to_vec()
            )
        );
    }

    #[test]
    fn no_package_clause_or_broken_imports_are_unread() {
        assert_eq!(imports(""), None);
        assert_eq!(imports("func main() {}"), None);
        assert_eq!(imports("package main\nimport (\n\"fmt\"\n"), None);
        assert_eq!(imports("package main\nimport \"fmt"), None);
        assert_eq!(imports("package main\n"), Some(Vec::new()));
    }
}

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("NONUTF8 {path}");
            continue;
        };
        let p = dfmigrate::syntax::parse(&text);
        for e in p.errors.iter().take(2) {
            println!("{path}:{}: {}", e.line, e.message);
        }
    }
}

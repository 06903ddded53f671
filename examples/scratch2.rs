use dfmigrate::{model::Dockerfile, syntax::parse, transforms::*};
fn fix(mut text: String, unsafe_: bool) -> (String, usize) {
    let mut rounds = 0;
    for _ in 0..10 {
        let p = parse(&text);
        if !p.errors.is_empty() {
            return (text, 99);
        }
        let file = Dockerfile::new(&p);
        let mut findings = Vec::new();
        for t in all() {
            t.run(&file, &Context::default(), &mut findings);
        }
        let mut fixes: Vec<_> = findings
            .iter()
            .filter_map(|f| f.fix.clone())
            .filter(|f| {
                f.applicability == Applicability::Safe
                    || (unsafe_ && f.applicability == Applicability::Unsafe)
            })
            .collect();
        fixes.sort_by_key(|f| f.range().unwrap().start);
        let mut taken: Vec<Edit> = vec![];
        let mut last_end = 0;
        let mut any = false;
        for f in fixes {
            let r = f.range().unwrap();
            if r.start < last_end || (any && r.start == last_end) {
                continue;
            }
            last_end = r.end;
            any = true;
            taken.extend(f.edits);
        }
        if taken.is_empty() {
            break;
        }
        rounds += 1;
        taken.sort_by_key(|e| std::cmp::Reverse(e.start));
        for e in taken {
            text.replace_range(e.start..e.end, &e.content);
        }
    }
    (text, rounds)
}
fn main() {
    let mut changed = 0;
    let mut n = 0;
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !parse(&text).errors.is_empty() {
            continue;
        }
        n += 1;
        let (out, rounds) = fix(text.clone(), true);
        if out != text {
            changed += 1;
        }
        let p = parse(&out);
        if !p.errors.is_empty() {
            println!("BROKEN {path}: {:?}", p.errors);
            continue;
        }
        if rounds >= 10 {
            println!("NONCONVERGE {path}");
        }
        let (again, _) = fix(out.clone(), true);
        if again != out {
            println!("NOT IDEMPOTENT {path}");
        }
    }
    println!("{n} files, {changed} changed");
}

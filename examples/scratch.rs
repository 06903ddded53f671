use dfmigrate::{model::Dockerfile, syntax::parse, transforms::*};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let unsafe_ = std::env::args().nth(2).is_some();
    let mut text = std::fs::read_to_string(path).unwrap();
    for round in 0..10 {
        let p = parse(&text);
        let file = Dockerfile::new(&p);
        let mut findings = Vec::new();
        for t in all() {
            t.run(&file, &Context::default(), &mut findings);
        }
        let mut fixes: Vec<_> = findings
            .iter()
            .filter_map(|f| {
                println!(
                    "r{round} {}:{} {} [{}]",
                    p.line_index.line(f.range.start),
                    f.transform,
                    f.message,
                    f.applicability().as_str()
                );
                f.fix.clone()
            })
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
            if r.start < last_end || (any && r.start == last_end && r.is_empty()) {
                continue;
            }
            last_end = r.end;
            any = true;
            taken.extend(f.edits);
        }
        if taken.is_empty() {
            break;
        }
        taken.sort_by_key(|e| std::cmp::Reverse(e.start));
        for e in taken {
            text.replace_range(e.start..e.end, &e.content);
        }
        let p2 = parse(&text);
        if !p2.errors.is_empty() {
            println!("BROKEN {:?}", p2.errors);
        }
    }
    print!("{text}");
}

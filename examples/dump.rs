fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let parse = dfmigrate::syntax::parse(&text);
    print!("{}", parse.tree.dump());
    println!("{:?} {:?}", parse.errors, parse.escape);
    for i in parse.buildkit_instructions() {
        println!("{}", serde_json::to_string(&i).unwrap());
    }
}

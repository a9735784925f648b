fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let mut fold = streamfold::ChatFold::new();
    for piece in bytes.chunks(7) {
        for ev in fold.push(piece) {
            match ev {
                Ok(e) => println!("{}", serde_json::to_string(&e).unwrap()),
                Err(e) => println!("ERR {e}"),
            }
        }
    }
    for ev in fold.end() {
        println!("{:?}", ev.map(|e| serde_json::to_string(&e).unwrap()));
    }
    match fold.finish() {
        Ok(c) => println!("{}", serde_json::to_string_pretty(&c).unwrap()),
        Err(e) => println!("ERR {e}"),
    }
}

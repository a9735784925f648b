#[path = "peers/mod.rs"]
mod peers;
#[path = "synthetic.rs"]
mod synthetic;
use serde_json::Value;

fn payloads_valid(bytes: &[u8]) -> usize {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut n = 0;
    for block in text.split_terminator("\n\n") {
        assert!(block.starts_with("data: "), "{block:.100}");
        assert!(!block.contains('\n'));
        let d = &block[6..];
        n += 1;
        if d == "[DONE]" {
            continue;
        }
        let _: Value = serde_json::from_str(d).unwrap_or_else(|e| panic!("{e}: {d}"));
    }
    assert!(text.ends_with("data: [DONE]\n\n"));
    n
}

fn reference(bytes: &[u8]) -> (String, Vec<String>, Option<String>, Option<u64>, usize) {
    let text = std::str::from_utf8(bytes).unwrap();
    let (mut c, mut t, mut f, mut u, mut e) = (String::new(), Vec::<String>::new(), None, None, 0);
    for line in text.lines() {
        let Some(d) = line.strip_prefix("data: ") else {
            continue;
        };
        e += 1;
        if d == "[DONE]" {
            break;
        }
        let v: Value = serde_json::from_str(d).unwrap();
        for ch in v["choices"].as_array().unwrap() {
            if let Some(s) = ch["delta"]["content"].as_str() {
                c.push_str(s);
            }
            for tc in ch["delta"]["tool_calls"].as_array().into_iter().flatten() {
                let i = tc["index"].as_u64().unwrap() as usize;
                if t.len() <= i {
                    t.resize(i + 1, String::new());
                }
                if let Some(a) = tc["function"]["arguments"].as_str() {
                    t[i].push_str(a);
                }
            }
            if let Some(r) = ch["finish_reason"].as_str() {
                f = Some(r.to_owned());
            }
        }
        if let Some(x) = v["usage"]["total_tokens"].as_u64() {
            u = Some(x);
        }
    }
    (c, t, f, u, e)
}

fn check_synth(name: &str, s: &synthetic::Synthetic) {
    let n = payloads_valid(&s.bytes);
    assert_eq!(n, s.events, "{name} events");
    let r = reference(&s.bytes);
    assert_eq!(r.0, s.content);
    assert_eq!(r.1, s.tool_arguments);
    assert_eq!(r.2, s.finish_reason);
    assert_eq!(r.3, s.total_tokens);
    assert_eq!(r.4, s.events);
    for a in &s.tool_arguments {
        let _: Value =
            serde_json::from_str(a).unwrap_or_else(|e| panic!("args not JSON {e}: {a:.200}"));
    }
    let want = peers::Folded {
        content: s.content.clone(),
        tool_arguments: s.tool_arguments.clone(),
        finish_reason: s.finish_reason.clone(),
        total_tokens: s.total_tokens,
        events: s.events,
    };
    for size in [1usize, 2, 3, 5, 7, 13, 64, 100, 4096, usize::MAX] {
        for (pn, p) in peers::COMPETITORS {
            if pn.starts_with("eventsource") && size < 64 && s.bytes.len() > 200_000 {
                continue;
            }
            let got = p(s.bytes.chunks(size)).unwrap_or_else(|e| panic!("{name} {pn} {size}: {e}"));
            assert_eq!(got, want, "{name} {pn} {size}");
        }
        assert_eq!(
            peers::memchr_lines::count(s.bytes.chunks(size)),
            s.bytes.iter().filter(|&&b| b == b'\n').count()
        );
    }
    println!(
        "{name}: {} bytes, {} events, {:.1} bytes/event, content {} args {:?}",
        s.bytes.len(),
        s.events,
        s.bytes.len() as f64 / s.events as f64,
        s.content.len(),
        s.tool_arguments.iter().map(|a| a.len()).collect::<Vec<_>>()
    );
}

#[test]
fn generators() {
    for ev in [1usize, 2, 31, 1000] {
        check_synth("text", &synthetic::text_stream(ev));
    }
    for ev in [8usize, 9, 10, 11, 12, 1000, 4001] {
        check_synth("tool", &synthetic::tool_stream(ev));
    }
    check_synth("big", &synthetic::big_event(100_000));
    check_synth("big1", &synthetic::big_event(1));
    // determinism
    assert_eq!(
        synthetic::text_stream(500).bytes,
        synthetic::text_stream(500).bytes
    );
    assert_eq!(
        synthetic::tool_stream(500).bytes,
        synthetic::tool_stream(500).bytes
    );
    let t = synthetic::tool_stream(12);
    println!("{}", String::from_utf8_lossy(&t.bytes));
    let t = synthetic::text_stream(3);
    println!("{}", String::from_utf8_lossy(&t.bytes));
}

fn split_all(input: &[u8]) -> Vec<Vec<u8>> {
    let mut whole = Vec::new();
    let mut sp = peers::splitter::Splitter::new();
    sp.feed(input, &mut |d: &[u8]| {
        whole.push(d.to_vec());
        Ok::<(), ()>(())
    })
    .unwrap();
    for size in 1..=input.len().max(1) {
        let mut got = Vec::new();
        let mut sp = peers::splitter::Splitter::new();
        for c in input.chunks(size) {
            sp.feed(c, &mut |d: &[u8]| {
                got.push(d.to_vec());
                Ok::<(), ()>(())
            })
            .unwrap();
        }
        assert_eq!(got, whole, "size {size}");
    }
    whole
}

#[test]
fn splitter_cases() {
    let s = |v: &[&str]| v.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
    assert_eq!(split_all(b"data: a\n\ndata:b\n\n"), s(&["a", "b"]));
    assert_eq!(split_all(b"data: a\r\n\r\ndata:b\r\n\r\n"), s(&["a", "b"]));
    assert_eq!(
        split_all(b": comment\ndata: a\ndata: b\nid: 3\n\n\n\ndata\n\ndata: c\n"),
        s(&["a\nb", "",])
    );
    assert_eq!(split_all(b"event: x\n\ndata:  two\r\n\n"), s(&[" two"]));
    assert_eq!(split_all(b"data: x\r\r\n\n"), s(&["x\r"]));
}

#[test]
fn corpus() {
    let dir = "/work/shared/corpus/openai-chat";
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sse"))
        .collect();
    paths.sort();
    let mut sdk_mismatch = 0;
    let mut fails = std::collections::BTreeMap::<String, usize>::new();
    for p in &paths {
        let bytes = std::fs::read(p).unwrap();
        let r = reference_opt(&bytes);
        let exp: Value =
            serde_json::from_slice(&std::fs::read(p.with_extension("expected.json")).unwrap())
                .unwrap();
        let c0 = exp["choices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["index"] == 0);
        let sdk_content = c0
            .and_then(|c| c["message"]["content"].as_str())
            .unwrap_or("");
        if sdk_content != r.0 {
            sdk_mismatch += 1;
            if sdk_mismatch < 4 {
                println!("sdk content mismatch {}", p.display());
            }
        }
        let sdk_args: Vec<String> = c0
            .and_then(|c| c["message"]["tool_calls"].as_array())
            .into_iter()
            .flatten()
            .map(|t| t["function"]["arguments"].as_str().unwrap_or("").to_owned())
            .collect();
        if sdk_args != r.1 {
            println!(
                "sdk args mismatch {} {:?} vs {:?}",
                p.display(),
                sdk_args.iter().map(|a| a.len()).collect::<Vec<_>>(),
                r.1.iter().map(|a| a.len()).collect::<Vec<_>>()
            );
        }
        for (pn, peer) in peers::COMPETITORS {
            match peer(bytes.chunks(4096)) {
                Err(e) => {
                    let k = format!("{pn}: {}", e.split(" at line").next().unwrap());
                    *fails
                        .entry(k.chars().skip_while(|c| *c != ':').collect::<String>() + " " + pn)
                        .or_default() += 1;
                }
                Ok(f) => {
                    if (
                        f.content.clone(),
                        f.tool_arguments.clone(),
                        f.finish_reason.clone(),
                        f.total_tokens,
                        f.events,
                    ) != r
                    {
                        println!(
                            "{pn} differs on {}: {:?} vs {:?}",
                            p.display(),
                            (
                                f.content.len(),
                                f.tool_arguments.len(),
                                &f.finish_reason,
                                f.total_tokens,
                                f.events
                            ),
                            (r.0.len(), r.1.len(), &r.2, r.3, r.4)
                        );
                    }
                }
            }
        }
    }
    println!(
        "{} streams, sdk content mismatches {sdk_mismatch}",
        paths.len()
    );
    for (k, v) in fails {
        println!("{v:5} {k}");
    }
}

fn reference_opt(bytes: &[u8]) -> (String, Vec<String>, Option<String>, Option<u64>, usize) {
    let text = std::str::from_utf8(bytes).unwrap();
    let (mut c, mut t, mut f, mut u, mut e) = (String::new(), Vec::<String>::new(), None, None, 0);
    let mut cur = 0;
    for line in text.lines() {
        let Some(d) = line.strip_prefix("data: ") else {
            continue;
        };
        e += 1;
        if d == "[DONE]" {
            break;
        }
        let v: Value = serde_json::from_str(d).unwrap();
        for ch in v["choices"].as_array().into_iter().flatten() {
            if ch["index"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            if let Some(s) = ch["delta"]["content"].as_str() {
                c.push_str(s);
            }
            for tc in ch["delta"]["tool_calls"].as_array().into_iter().flatten() {
                let i = tc["index"].as_u64().map_or(cur, |i| i as usize);
                cur = i;
                if t.len() <= i {
                    t.resize(i + 1, String::new());
                }
                if let Some(a) = tc["function"]["arguments"].as_str() {
                    t[i].push_str(a);
                }
            }
            if let Some(r) = ch["finish_reason"].as_str() {
                f = Some(r.to_owned());
            }
        }
        if let Some(x) = v["usage"]["total_tokens"].as_u64() {
            u = Some(x);
        }
    }
    (c, t, f, u, e)
}

#[test]
#[ignore]
fn quadratic() {
    for (mb, read) in [
        (16usize, usize::MAX),
        (1, 4096),
        (2, 4096),
        (4, 4096),
        (8, 4096),
        (1, 64),
    ] {
        let s = synthetic::big_event(mb << 20);
        for (pn, p) in peers::COMPETITORS {
            if !pn.starts_with("eventsource") && read == usize::MAX {}
            let t = std::time::Instant::now();
            let f = p(s.bytes.chunks(read)).unwrap();
            assert_eq!(f.content.len(), s.content.len());
            println!(
                "{pn:32} {mb:2} MiB read {read:>20}: {:8.3} s",
                t.elapsed().as_secs_f64()
            );
        }
    }
}

#[test]
#[ignore]
fn quadratic_big() {
    for (mb, read) in [(16usize, 4096usize), (2, 64)] {
        let s = synthetic::big_event(mb << 20);
        let t = std::time::Instant::now();
        let f = peers::eventsource_openai::fold(s.bytes.chunks(read)).unwrap();
        assert_eq!(f.content.len(), s.content.len());
        println!(
            "eventsource {mb:2} MiB read {read:>6}: {:8.3} s",
            t.elapsed().as_secs_f64()
        );
    }
}

mod count_alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};
    pub static ALLOCS: AtomicUsize = AtomicUsize::new(0);
    pub struct Counting;
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            System.alloc(l)
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            System.dealloc(p, l)
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            System.realloc(p, l, n)
        }
    }
}
#[global_allocator]
static GLOBAL: count_alloc::Counting = count_alloc::Counting;

#[test]
#[ignore]
fn allocations() {
    use std::sync::atomic::Ordering;
    for (name, a, b) in [
        (
            "text",
            synthetic::text_stream(10_000),
            synthetic::text_stream(20_000),
        ),
        (
            "tool",
            synthetic::tool_stream(10_000),
            synthetic::tool_stream(20_000),
        ),
    ] {
        for (pn, p) in peers::COMPETITORS {
            let c0 = count_alloc::ALLOCS.load(Ordering::Relaxed);
            let _ = p(a.bytes.chunks(4096)).unwrap();
            let c1 = count_alloc::ALLOCS.load(Ordering::Relaxed);
            let _ = p(b.bytes.chunks(4096)).unwrap();
            let c2 = count_alloc::ALLOCS.load(Ordering::Relaxed);
            let per = ((c2 - c1) as f64 - (c1 - c0) as f64) / (b.events - a.events) as f64;
            println!("{name} {pn:32} allocs/event (marginal) {per:.2}");
        }
    }
}

#[test]
#[ignore]
fn alloc_one() {
    use serde::Deserialize;
    use std::sync::atomic::Ordering;
    let s = synthetic::text_stream(3);
    let text = String::from_utf8(s.bytes.clone()).unwrap();
    let line = text.split("\n\n").nth(1).unwrap()[6..].to_owned();
    let n = || count_alloc::ALLOCS.load(Ordering::Relaxed);
    for _ in 0..3 {
        let c0 = n();
        let v: peers::borrowed::Chunk = serde_json::from_str(&line).unwrap();
        let c1 = n();
        drop(v);
        let mut buf = line.clone().into_bytes();
        let c2 = n();
        let v: peers::borrowed::Chunk = sonic_rs::from_slice(&buf).unwrap();
        let c3 = n();
        drop(v);
        let mut buffers = simd_json::Buffers::default();
        buf.resize(line.len() + 64, 0);
        let mut tape = simd_json::Tape::null();
        simd_json::fill_tape_padded(&mut buf, line.len(), &mut buffers, &mut tape).unwrap();
        let mut buf2 = line.clone().into_bytes();
        buf2.resize(line.len() + 64, 0);
        let tape = tape.reset();
        let mut tape = tape;
        let c4 = n();
        simd_json::fill_tape_padded(&mut buf2, line.len(), &mut buffers, &mut tape).unwrap();
        let c5 = n();
        let mut de = simd_json::Deserializer::from_tape(tape);
        let v = peers::borrowed::Chunk::deserialize(&mut de).unwrap();
        let c6 = n();
        drop(v);
        println!(
            "serde {} sonic {} simd tape {} simd de {}",
            c1 - c0,
            c3 - c2,
            c5 - c4,
            c6 - c5
        );
    }
}

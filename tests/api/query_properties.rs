//! Differential property test: for random payments and random predicates, the database (SQL
//! compiled for the backend under test) returns exactly the payments the in-memory evaluator
//! accepts. Runs a fixed seed and a random one; `QUERY_PROPERTY_SEED` replays a failure.

use crate::helpers::*;
use payments_api::query::{self, eval, schema};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const PAYMENTS: usize = 40;
const PREDICATES: usize = 150;

const KEYS: &[&str] = &["k-a", "k-b", "k-c", "k-d", "k-e", "k-f"];
const CURRENCIES: &[&str] = &["EUR", "USD", "JPY"];
const AMOUNTS: &[i64] = &[0, 1, 99, 500, 501, 1000, 4999, 100_000];
const TYPES: &[&str] = &["Authorization", "CancelAuthorization", "Charge", "Refund", "Chargeback"];
const STATES: &[&str] = &["Initial", "Pending", "Success", "Failure"];
const WORDS: &[&str] = &["alpha", "Beta", "gamma", "", "ä-umlaut", "Z"];
const INTERFACES: &[&str] = &["STRIPE", "ADYEN"];
/// Numbers where doubles and integers part: beyond 2^53 and i64, the nearest double to 0.3,
/// negative zero, huge ones.
const EDGE_NUMBERS: &[&str] = &[
    "9007199254740993",
    "9007199254740992",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "0.30000000000000004",
    "-0.0",
    "1e300",
    "0.5",
    "144115188075855872.0",
    "-9223372036854775808",
];
/// Literals that a double cannot hold exactly, or that spell one value in another way.
const EDGE_LITERALS: &[&str] = &[
    "9007199254740993.0",
    "9007199254740992",
    "9223372036854775807.0",
    "9223372036854775808",
    "18446744073709551614",
    "18446744073709551615",
    "1e-400",
    "-1e-400",
    "0.3000000000000000444",
    "0.30000000000000004",
    "-0",
    "1e300",
    "5e-1",
    "144115188075855871",
    "144115188075855872",
    "-9223372036854775809",
];
const OPS: &[&str] = &["=", "!=", "<>", "<", "<=", ">", ">="];

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    *items.choose(rng).unwrap()
}

fn random_draft(rng: &mut StdRng, index: usize, customers: &[String]) -> Value {
    let currency = pick(rng, CURRENCIES);
    let mut draft = json!({"amountPlanned": {"currencyCode": currency, "centAmount": pick(rng, AMOUNTS)}});
    if rng.random_bool(0.7) {
        draft["key"] = json!(format!("{}-{index}", pick(rng, KEYS)));
    }
    if rng.random_bool(0.3) {
        draft["anonymousId"] = json!(pick(rng, WORDS));
    }
    if rng.random_bool(0.3) {
        draft["customer"] = json!({"typeId": "customer", "id": customers.choose(rng).unwrap()});
    }
    if rng.random_bool(0.5) {
        let mut info = json!({"paymentInterface": pick(rng, INTERFACES)});
        if rng.random_bool(0.5) {
            info["name"] = json!({"en": pick(rng, WORDS)});
        }
        draft["paymentMethodInfo"] = info;
        if rng.random_bool(0.5) {
            draft["interfaceId"] = json!(format!("psp-{index}"));
        }
    }
    if rng.random_bool(0.4) {
        draft["paymentStatus"] = json!({"interfaceCode": pick(rng, WORDS)});
    }
    let transactions: Vec<Value> = (0..rng.random_range(0..4))
        .map(|n| {
            let mut transaction = json!({
                "type": pick(rng, TYPES),
                "state": pick(rng, STATES),
                "amount": {"currencyCode": currency, "centAmount": pick(rng, AMOUNTS)},
            });
            if rng.random_bool(0.5) {
                transaction["interactionId"] = json!(format!("ia-{}", rng.random_range(0..5)));
            }
            if rng.random_bool(0.3) {
                transaction["interfaceId"] = json!(format!("tx-{index}-{n}"));
            }
            transaction
        })
        .collect();
    draft["transactions"] = json!(transactions);
    if rng.random_bool(0.4) {
        let mut fields = json!({});
        if rng.random_bool(0.7) {
            fields["num"] = if rng.random_bool(0.3) {
                pick(rng, EDGE_NUMBERS).parse().unwrap()
            } else {
                json!(pick(rng, AMOUNTS))
            };
        }
        if rng.random_bool(0.7) {
            fields["str"] = json!(pick(rng, WORDS));
        }
        if rng.random_bool(0.5) {
            fields["flag"] = json!(rng.random_bool(0.5));
        }
        if rng.random_bool(0.5) {
            let tags: Vec<&str> = WORDS.iter().copied().filter(|_| rng.random_bool(0.4)).collect();
            fields["tags"] = json!(tags);
        }
        // Money, and a Set of it: objects matched by their fields, or by their elements' fields.
        let price = |rng: &mut StdRng| json!({"currencyCode": pick(rng, CURRENCIES), "centAmount": pick(rng, AMOUNTS)});
        if rng.random_bool(0.5) {
            fields["price"] = price(rng);
        }
        if rng.random_bool(0.5) {
            let mut prices: Vec<Value> = (0..rng.random_range(0..3)).map(|_| price(rng)).collect();
            prices.dedup();
            fields["prices"] = json!(prices);
        }
        draft["custom"] = json!({"type": {"key": "props"}, "fields": fields});
    }
    draft
}

fn string(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}

fn number(rng: &mut StdRng) -> String {
    let value = pick(rng, AMOUNTS) + rng.random_range(-1..=1);
    if rng.random_bool(0.1) {
        format!("{value}.5")
    } else {
        value.to_string()
    }
}

/// A literal for the Number custom field: often one of the edges.
fn num_literal(rng: &mut StdRng) -> String {
    if rng.random_bool(0.5) {
        pick(rng, EDGE_LITERALS).to_owned()
    } else {
        number(rng)
    }
}

fn transaction_condition(rng: &mut StdRng, depth: usize) -> String {
    match rng.random_range(0..7) {
        0 => format!("type = {}", string(pick(rng, TYPES))),
        1 => format!("state {} {}", pick(rng, &["=", "!="]), string(pick(rng, STATES))),
        2 => format!("amount(centAmount {} {})", pick(rng, OPS), number(rng)),
        3 => format!("interactionId = \"ia-{}\"", rng.random_range(0..5)),
        4 => format!("interfaceId is {}defined", pick(rng, &["", "not "])),
        5 if depth < 2 => format!(
            "({} {} {})",
            transaction_condition(rng, depth + 1),
            pick(rng, &["and", "or"]),
            transaction_condition(rng, depth + 1)
        ),
        _ => format!("state in ({}, {})", string(pick(rng, STATES)), string(pick(rng, STATES))),
    }
}

fn custom_condition(rng: &mut StdRng) -> String {
    let field = pick(rng, &["num", "str", "flag"]);
    let literal = |rng: &mut StdRng| match rng.random_range(0..3) {
        0 => num_literal(rng),
        1 => string(pick(rng, WORDS)),
        _ => pick(rng, &["true", "false"]).to_owned(),
    };
    let money = |rng: &mut StdRng| match rng.random_range(0..3) {
        0 => format!("centAmount {} {}", pick(rng, OPS), number(rng)),
        1 => format!("currencyCode = {}", string(pick(rng, CURRENCIES))),
        _ => format!("not(centAmount = {})", number(rng)),
    };
    match rng.random_range(0..11) {
        9 => format!("{}({})", pick(rng, &["price", "prices"]), money(rng)),
        // Fields of what holds none: strings, a Set of them, a boolean.
        10 => format!("{}(x = \"alpha\")", pick(rng, &["str", "tags", "flag"])),
        // A field's value against literals of any JSON type, lists mixing them too.
        6 => format!("{field} {} {}", pick(rng, &["=", "!="]), literal(rng)),
        7 => format!("{field} {}in ({}, {})", pick(rng, &["", "not "]), literal(rng), literal(rng)),
        8 => format!("flag != {}", pick(rng, &["true", "false"])),
        0 => format!("num {} {}", pick(rng, OPS), num_literal(rng)),
        1 => format!("str {} {}", pick(rng, OPS), string(pick(rng, WORDS))),
        2 => format!("flag = {}", pick(rng, &["true", "false"])),
        3 => format!(
            "tags contains {} ({}, {})",
            pick(rng, &["any", "all"]),
            string(pick(rng, WORDS)),
            string(pick(rng, WORDS))
        ),
        4 => format!("tags is {}empty", pick(rng, &["", "not "])),
        _ => format!("{} is {}defined", pick(rng, &["num", "str", "flag", "tags"]), pick(rng, &["", "not "])),
    }
}

fn condition(rng: &mut StdRng, customers: &[String]) -> String {
    match rng.random_range(0..16) {
        0 => format!(
            "key {} {}",
            pick(rng, OPS),
            string(&format!("{}-{}", pick(rng, KEYS), rng.random_range(0..PAYMENTS)))
        ),
        1 => format!(
            "key in ({}, {})",
            string(&format!("k-a-{}", rng.random_range(0..PAYMENTS))),
            string(&format!("k-b-{}", rng.random_range(0..PAYMENTS)))
        ),
        2 => format!("key is {}defined", pick(rng, &["", "not "])),
        3 => format!("amountPlanned(centAmount {} {})", pick(rng, OPS), number(rng)),
        4 => format!(
            "amountPlanned(currencyCode {} {})",
            pick(rng, &["=", "!="]),
            string(pick(rng, CURRENCIES))
        ),
        5 => format!("transactions({})", transaction_condition(rng, 0)),
        6 => format!("transactions is {}empty", pick(rng, &["", "not "])),
        7 => format!("paymentMethodInfo(paymentInterface = {})", string(pick(rng, INTERFACES))),
        8 => format!("paymentMethodInfo(name(en {} {}))", pick(rng, OPS), string(pick(rng, WORDS))),
        9 => format!("customer(id {} {})", pick(rng, &["=", "!="]), string(customers.choose(rng).unwrap())),
        10 => format!("anonymousId {} {}", pick(rng, OPS), string(pick(rng, WORDS))),
        11 => format!(
            "paymentStatus(interfaceCode not in ({}, {}))",
            string(pick(rng, WORDS)),
            string(pick(rng, WORDS))
        ),
        12 => format!("custom(fields({}))", custom_condition(rng)),
        13 => format!("interfaceId = \"psp-{}\"", rng.random_range(0..PAYMENTS)),
        14 => format!("version {} {}", pick(rng, OPS), rng.random_range(0..3)),
        _ => format!("createdAt {} \"2000-01-01T00:00:00Z\"", pick(rng, OPS)),
    }
}

fn predicate(rng: &mut StdRng, depth: usize, customers: &[String]) -> String {
    match rng.random_range(0..5) {
        0 | 1 if depth < 3 => format!(
            "{} {} {}",
            predicate(rng, depth + 1, customers),
            pick(rng, &["and", "or", "AND", "Or"]),
            predicate(rng, depth + 1, customers)
        ),
        2 if depth < 3 => format!("not({})", predicate(rng, depth + 1, customers)),
        3 if depth < 3 => format!("({})", predicate(rng, depth + 1, customers)),
        _ => condition(rng, customers),
    }
}

async fn run(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let app = spawn_app().await;
    let fields = vec![
        field("num", "Number"),
        field("str", "String"),
        field("flag", "Boolean"),
        json!({"name": "tags", "label": {"en": "tags"}, "required": false, "type": {"name": "Set", "elementType": {"name": "String"}}}),
        field("price", "Money"),
        json!({"name": "prices", "label": {"en": "prices"}, "required": false, "type": {"name": "Set", "elementType": {"name": "Money"}}}),
    ];
    app.create_type("props", &["payment"], fields).await;
    let mut customers = Vec::new();
    for n in 0..3 {
        let customer = app.create_customer(&format!("c{n}@example.com"), &format!("cust-{n}")).await;
        customers.push(customer["id"].as_str().unwrap().to_owned());
    }
    for index in 0..PAYMENTS {
        app.create_payment(random_draft(&mut rng, index, &customers)).await;
    }
    let all = app.get("/payments?limit=500").await.body["results"].as_array().unwrap().clone();
    assert_eq!(all.len(), PAYMENTS);
    for _ in 0..PREDICATES {
        let text = predicate(&mut rng, 0, &customers);
        let context = format!("seed {seed} (replay with QUERY_PROPERTY_SEED={seed})");
        assert_agrees(&app, &all, &text, &context).await;
    }
}

/// The database returns exactly the payments of `all` that the evaluator accepts.
async fn assert_agrees(app: &TestApp, all: &[Value], text: &str, context: &str) {
    let checked = query::predicate(&[text], &schema::PAYMENT_FIELDS, &schema::Variables::new())
        .unwrap_or_else(|e| panic!("{context}: generated predicate {text} is invalid: {e}"))
        .unwrap();
    let expected: BTreeSet<&str> =
        all.iter().filter(|p| eval::matches(&checked, p)).map(|p| p["id"].as_str().unwrap()).collect();
    let reply =
        app.raw(app.client.get(app.url("/payments")).query(&[("where", text), ("limit", "500")])).await;
    assert_eq!(reply.status, reqwest::StatusCode::OK, "{context}: {text}: {}", reply.body);
    let actual: BTreeSet<&str> =
        reply.body["results"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(actual, expected, "{context}: {text}");
    assert_eq!(reply.body["total"], expected.len(), "{context}: total of {text}");
}

/// Every edge literal against every edge number, with every operator: integers beyond 2^53
/// and i64, doubles a literal spells with more digits, zero of either sign, underflow.
#[tokio::test]
async fn the_database_agrees_with_the_evaluator_on_numbers_at_the_edges() {
    let app = spawn_app().await;
    app.create_type("props", &["payment"], vec![field("num", "Number")]).await;
    for number in EDGE_NUMBERS {
        let num: Value = number.parse().unwrap();
        app.create_payment(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1},
            "custom": {"type": {"key": "props"}, "fields": {"num": num}}}))
            .await;
    }
    let all = app.get("/payments?limit=500").await.body["results"].as_array().unwrap().clone();
    for literal in EDGE_LITERALS {
        for op in OPS {
            assert_agrees(&app, &all, &format!("custom(fields(num {op} {literal}))"), "edges").await;
        }
        let list = format!("custom(fields(num in ({literal}, 0.5)))");
        assert_agrees(&app, &all, &list, "edges").await;
    }
}

#[tokio::test]
async fn the_database_agrees_with_the_evaluator_on_a_fixed_seed() {
    run(20_261_201).await;
}

#[tokio::test]
async fn the_database_agrees_with_the_evaluator_on_a_random_seed() {
    let seed = match std::env::var("QUERY_PROPERTY_SEED") {
        Ok(seed) => seed.parse().expect("QUERY_PROPERTY_SEED is a number"),
        Err(_) => {
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            u64::try_from(nanos % u128::from(u64::MAX)).unwrap()
        }
    };
    println!("query property seed: {seed}");
    run(seed).await;
}

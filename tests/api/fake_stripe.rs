//! A small Stripe stand-in of our own, for what localstripe cannot show: the headers the
//! adapter sends, the same Idempotency-Key on every retry, faults (500, 429, slow answers,
//! dropped connections), multicapture and Checkout Sessions. It answers creations
//! idempotently by key, as Stripe does.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the fake does with the next request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    ServerError,
    TooManyRequests,
    /// Answers after this long (longer than the adapter's timeout).
    Slow(Duration),
    /// Closes the connection without an answer.
    Drop,
    /// Refuses our API key (a revoked or mistyped key).
    Unauthorized,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

#[derive(Default)]
struct State {
    faults: Vec<Fault>,
    received: Vec<Received>,
    /// PaymentIntents created, by idempotency key.
    intents: HashMap<String, Value>,
    /// The multicapture status of the cards' charges ("available" or "unavailable").
    multicapture: &'static str,
    /// The status of the PaymentIntent a declined card left (the customer may complete it).
    declined: &'static str,
    /// The status of every Checkout Session ("open", "complete" or "expired").
    checkout: &'static str,
    /// A customer deleted at Stripe: PaymentIntents for it are refused.
    deleted_customer: Option<String>,
    /// What a capture in Stripe's dashboard took of every PaymentIntent (which then succeeded
    /// and can no longer be cancelled).
    captured_at_stripe: Option<i64>,
}

/// The PaymentIntent a completed Checkout Session made.
pub const CHECKOUT_INTENT: &str = "pi_from_checkout";
/// A payment method every PaymentIntent declines, and the PaymentIntent the decline leaves.
pub const DECLINED_CARD: &str = "pm_card_declined";
pub const DECLINED_INTENT: &str = "pi_declined";

#[derive(Clone)]
pub struct FakeStripe {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl FakeStripe {
    pub async fn start(faults: Vec<Fault>) -> FakeStripe {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            faults,
            multicapture: "unavailable",
            checkout: "open",
            declined: "requires_payment_method",
            ..State::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, state).await;
                });
            }
        });
        FakeStripe { base, state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Whether the cards' charges can be captured more than once.
    pub fn set_multicapture(&self, status: &'static str) {
        self.state.lock().unwrap().multicapture = status;
    }

    /// Deletes a customer "at Stripe": PaymentIntents for it are refused from now on.
    pub fn delete_customer(&self, customer: &str) {
        self.state.lock().unwrap().deleted_customer = Some(customer.to_owned());
    }

    /// Where every Checkout Session stands.
    pub fn set_checkout(&self, status: &'static str) {
        self.state.lock().unwrap().checkout = status;
    }

    /// How many distinct PaymentIntents were created.
    /// What the PaymentIntent a declined card left is now (say, "requires_capture" once the
    /// customer completed it).
    pub fn set_declined(&self, status: &'static str) {
        self.state.lock().unwrap().declined = status;
    }

    /// Captures `amount` of every PaymentIntent in the dashboard: they succeed, and release
    /// the rest.
    pub fn capture_at_stripe(&self, amount: i64) {
        self.state.lock().unwrap().captured_at_stripe = Some(amount);
    }

    pub fn intents_created(&self) -> usize {
        self.state.lock().unwrap().intents.len()
    }
}

async fn serve(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(socket);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let method = request_line.split_whitespace().next().unwrap_or_default().to_owned();
    let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let key = headers.get("idempotency-key").cloned().unwrap_or_default();
    let received = Received { method: method.clone(), path: path.clone(), headers, body: body.clone() };
    let refused = {
        let mut state = state.lock().unwrap();
        let names_customer = |customer: &str| {
            let in_query =
                path.split_once('?').is_some_and(|(_, query)| form_value(query, "customer") == customer);
            form_value(&body, "customer") == customer || in_query
        };
        match state.deleted_customer.clone() {
            Some(customer)
                if (path == "/v1/payment_intents" || path.starts_with("/v1/payment_methods"))
                    && names_customer(&customer) =>
            {
                state.received.push(received.clone());
                Some(json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                    "param": "customer", "message": format!("No such customer: '{customer}'")}}))
            }
            // Like Stripe: a declined card answers 402 with the PaymentIntent it left behind.
            _ if path == "/v1/payment_intents" && form_value(&body, "payment_method") == DECLINED_CARD => {
                state.received.push(received.clone());
                Some(
                    json!({"error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                    "payment_intent": {"id": DECLINED_INTENT, "object": "payment_intent", "status": "requires_payment_method"}}}),
                )
            }
            // Like Stripe: a PaymentIntent that succeeded cannot be cancelled or captured.
            _ if state.captured_at_stripe.is_some()
                && path.starts_with("/v1/payment_intents/")
                && (path.ends_with("/cancel") || path.ends_with("/capture")) =>
            {
                state.received.push(received.clone());
                let verb = if path.ends_with("/cancel") { "cancel" } else { "capture" };
                Some(
                    json!({"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                    "message": format!("You cannot {verb} this PaymentIntent because it has a status of succeeded.")}}),
                )
            }
            // Like Stripe: only an open session can be expired.
            _ if path.starts_with("/v1/checkout/sessions/")
                && path.ends_with("/expire")
                && state.checkout != "open" =>
            {
                state.received.push(received.clone());
                Some(json!({"error": {"type": "invalid_request_error",
                    "message": "Only Checkout Sessions with a status of `open` can be expired."}}))
            }
            _ => None,
        }
    };
    if let Some(error) = refused {
        return refuse(reader.into_inner(), error).await;
    }
    let (fault, answer_body) = {
        let mut state = state.lock().unwrap();
        state.received.push(received);
        let fault = if state.faults.is_empty() { None } else { Some(state.faults.remove(0)) };
        let next = state.intents.len() + 1;
        let multicapture = state.multicapture;
        let checkout = state.checkout;
        let session = |id: String| {
            json!({"id": id, "object": "checkout.session", "status": checkout,
            "url": format!("https://checkout.stripe.test/c/pay/{id}"),
            "payment_intent": (checkout == "complete").then_some(CHECKOUT_INTENT)})
        };
        let captured_at_stripe = state.captured_at_stripe;
        let looked_up_intent = (method == "GET")
            .then(|| path.strip_prefix("/v1/payment_intents/"))
            .flatten()
            .map(|rest| rest.split('?').next().unwrap_or_default().to_owned());
        let checkout_answer = if let (Some(received), Some(intent)) = (captured_at_stripe, &looked_up_intent)
        {
            Some(json!({"id": intent, "object": "payment_intent", "status": "succeeded",
                "amount_received": received, "currency": "eur"}))
        } else if path == "/v1/checkout/sessions" {
            Some(
                state
                    .intents
                    .entry(key.clone())
                    .or_insert_with(|| session(format!("cs_fake_{next}")))
                    .clone(),
            )
        } else if let Some(id) =
            path.strip_prefix("/v1/checkout/sessions/").and_then(|p| p.strip_suffix("/expire"))
        {
            // Expired from now on, for the lookups that follow.
            state.checkout = "expired";
            Some(
                json!({"id": id, "object": "checkout.session", "status": "expired", "url": null, "payment_intent": null}),
            )
        } else if let Some(id) = path.strip_prefix("/v1/checkout/sessions/") {
            Some(session(id.to_owned()))
        } else if path == "/v1/accounts" {
            let created = json!({"id": format!("acct_fake_{next}"), "object": "account",
                "type": form_value(&body, "type"), "email": form_value(&body, "email"), "country": "DE",
                "charges_enabled": false, "payouts_enabled": false, "details_submitted": false});
            Some(state.intents.entry(key.clone()).or_insert(created).clone())
        } else if path == "/v1/account_links" {
            Some(json!({"object": "account_link", "url": format!("https://connect.stripe.test/setup/{}",
                form_value(&body, "account")), "expires_at": 1_900_000_000}))
        } else if let Some(rest) = path.strip_prefix("/v1/accounts/") {
            match rest.split_once('/') {
                Some((account, "login_links")) => Some(
                    json!({"object": "login_link", "url": format!("https://connect.stripe.test/express/{account}")}),
                ),
                _ if method == "DELETE" => Some(json!({"id": rest, "object": "account", "deleted": true})),
                _ => {
                    Some(json!({"id": rest, "object": "account", "type": "express", "charges_enabled": true,
                    "payouts_enabled": true, "details_submitted": true}))
                }
            }
        } else if path.starts_with("/v1/payment_methods?") {
            Some(json!({"object": "list", "data": []}))
        } else if let Some(method) =
            path.strip_prefix("/v1/payment_methods/").and_then(|p| p.split('/').next())
        {
            Some(json!({"id": method, "object": "payment_method", "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}}))
        } else if let Some(intent) =
            path.strip_prefix("/v1/payment_intents/").and_then(|p| p.strip_suffix("/cancel"))
        {
            if intent == DECLINED_INTENT {
                state.declined = "canceled";
            }
            // What is left to capture is released.
            Some(json!({"id": intent, "object": "payment_intent", "status": "canceled"}))
        } else if method == "GET" && path.starts_with(&format!("/v1/payment_intents/{DECLINED_INTENT}")) {
            let declined = state.declined;
            let error = (declined == "requires_payment_method").then(|| json!({"code": "card_declined"}));
            // Captured in full once it succeeded (the tests' drafts authorize 1200).
            let received = if declined == "succeeded" { 1200 } else { 0 };
            Some(json!({"id": DECLINED_INTENT, "object": "payment_intent", "status": declined,
                "last_payment_error": error, "amount_received": received, "currency": "eur"}))
        } else if path.starts_with(&format!("/v1/payment_intents/{CHECKOUT_INTENT}"))
            && !path.ends_with("/capture")
        {
            Some(json!({"id": CHECKOUT_INTENT, "object": "payment_intent", "status": "requires_capture"}))
        } else {
            None
        };
        if let Some(checkout_answer) = checkout_answer {
            (fault, checkout_answer)
        } else {
            // Like Stripe: the same key gets the first answer again. A manual-capture intent, and
            // one captured with more captures to come, waits for capture.
            let intent = state
                .intents
                .entry(key)
                .or_insert_with(|| {
                    let waits =
                        body.contains("capture_method=manual") || body.contains("final_capture=false");
                    // A capture answers the PaymentIntent it captured.
                    let captured =
                        path.strip_prefix("/v1/payment_intents/").and_then(|p| p.strip_suffix("/capture"));
                    let id = captured.map_or_else(|| format!("pi_fake_{next}"), str::to_owned);
                    json!({"id": id, "object": "payment_intent",
                       "status": if waits { "requires_capture" } else { "succeeded" },
                       "latest_charge": {"id": format!("ch_fake_{next}"),
                           "payment_method_details": {"card": {"multicapture": {"status": multicapture}}}}})
                })
                .clone();
            (fault, intent)
        }
    };
    answer(reader.into_inner(), fault, answer_body).await
}

/// Answers 400 (402 for a card error) with Stripe's error body.
async fn refuse(mut socket: tokio::net::TcpStream, error: Value) -> std::io::Result<()> {
    let text = error.to_string();
    let status = if error.pointer("/error/type") == Some(&json!("card_error")) {
        "402 Payment Required"
    } else {
        "400 Bad Request"
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

/// Answers with `answer`, or with the fault.
async fn answer(
    mut socket: tokio::net::TcpStream,
    fault: Option<Fault>,
    answer: Value,
) -> std::io::Result<()> {
    let (status, text) = match fault {
        Some(Fault::Drop) => return Ok(()),
        Some(Fault::ServerError) => {
            ("500 Internal Server Error", json!({"error": {"message": "boom"}}).to_string())
        }
        Some(Fault::TooManyRequests) => {
            ("429 Too Many Requests", json!({"error": {"message": "slow down"}}).to_string())
        }
        Some(Fault::Unauthorized) => (
            "401 Unauthorized",
            json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****"}})
                .to_string(),
        ),
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            ("200 OK", answer.to_string())
        }
        None => ("200 OK", answer.to_string()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

/// A value of a form-encoded body.
fn form_value(body: &str, name: &str) -> String {
    form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

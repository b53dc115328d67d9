//! Stripe over its REST API (form-encoded, secret key, per-call timeout). Stripe's wire types
//! and statuses stay in this module and are mapped exhaustively onto our outcomes.

use super::stripe_amounts;
use super::{
    AccountAnswer, AccountCall, AccountFuture, CallError, CardSummary, ConnectedAccount, Operation, Outcome,
    OutcomeFuture, Provider, Report, Request, SavedMethod, WalletCall, WalletFuture,
};
use crate::auth::credentials::Secret;
use serde::Deserialize;
use std::time::Duration;

pub struct Stripe {
    client: reqwest::Client,
    api_base: String,
    secret_key: Secret,
    interface_name: String,
    options: StripeOptions,
}

/// The Stripe API version every call asks for, so that the shapes this adapter reads do not
/// change with the account's default version. (Webhook payloads follow the version of the
/// webhook endpoint, set where it is created.)
pub const STRIPE_API_VERSION: &str = "2024-10-28.acacia";

/// What a deployment chooses about the Stripe features it uses.
#[derive(Debug, Clone, Default)]
pub struct StripeOptions {
    /// Whether manual-capture PaymentIntents ask for multicapture.
    pub multicapture: bool,
    /// Where Stripe Checkout sends the customer after paying, and after giving up;
    /// `{PAYMENT_ID}` is replaced by our payment id.
    pub checkout_success_url: Option<String>,
    pub checkout_cancel_url: Option<String>,
}

impl Stripe {
    pub fn new(
        api_base: &str,
        secret_key: Secret,
        interface_name: &str,
        timeout: Duration,
        options: StripeOptions,
    ) -> Result<Self, String> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("Stripe-Version", reqwest::header::HeaderValue::from_static(STRIPE_API_VERSION));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .default_headers(headers)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            api_base: api_base.trim_end_matches('/').to_owned(),
            secret_key,
            interface_name: interface_name.to_owned(),
            options,
        })
    }

    async fn call(&self, request: Request) -> Outcome {
        // A malformed account (the client's interfaceAccount) would fail every attempt alike.
        if let Some(account) = request.account.as_deref().filter(|a| !is_account_id(a)) {
            return Outcome::refused(format!("'{account}' is not a Stripe account id (acct_…)."));
        }
        if let Operation::Retrieve { object_id, .. } = &request.operation {
            if object_id.starts_with("cs_") {
                let path = format!("/v1/checkout/sessions/{}", segment(object_id));
                return match self.get_json::<CheckoutSession>(&path, &[], request.account.as_deref()).await {
                    Ok(session) => self.session_outcome(session, request.account.as_deref()).await,
                    Err(unknown) => unknown,
                };
            }
        }
        // Amounts in Stripe's minor units; one Stripe cannot take exactly is never sent.
        let in_stripe_units = stripe_amounts::to_stripe;
        let (method, path, mut form) = match &request.operation {
            Operation::Authorize { amount, currency, payment_method, capture, customer } => {
                let (currency, amount) = match in_stripe_units(currency, *amount) {
                    Ok(converted) => converted,
                    Err(message) => return Outcome::refused(message),
                };
                let mut form = vec![
                    ("amount".to_owned(), amount.to_string()),
                    ("currency".to_owned(), currency),
                    ("capture_method".to_owned(), if *capture { "automatic" } else { "manual" }.to_owned()),
                    ("payment_method_types[]".to_owned(), "card".to_owned()),
                ];
                if self.options.multicapture && !capture {
                    let option = "payment_method_options[card][request_multicapture]";
                    form.push((option.to_owned(), "if_available".to_owned()));
                }
                if let Some(customer) = customer {
                    form.push(("customer".to_owned(), customer.clone()));
                }
                if let Some(payment_method) = payment_method {
                    form.push(("payment_method".to_owned(), payment_method.clone()));
                    form.push(("confirm".to_owned(), "true".to_owned()));
                }
                (reqwest::Method::POST, "/v1/payment_intents".to_owned(), form)
            }
            Operation::Capture { intent_id, amount, currency, final_capture } => {
                let amount = match in_stripe_units(currency, *amount) {
                    Ok((_, amount)) => amount,
                    Err(message) => return Outcome::refused(message),
                };
                let mut form = vec![("amount_to_capture".to_owned(), amount.to_string())];
                // Stripe refuses a non-final capture where multicapture is unavailable; there
                // a partial capture is final and releases the rest, as without multicapture.
                if !final_capture && self.options.multicapture {
                    match self.multicapture_available(intent_id, request.account.as_deref()).await {
                        Ok(true) => form.push(("final_capture".to_owned(), "false".to_owned())),
                        Ok(false) => {}
                        Err(unknown) => return unknown,
                    }
                }
                (reqwest::Method::POST, format!("/v1/payment_intents/{}/capture", segment(intent_id)), form)
            }
            Operation::Refund { intent_id, amount, currency } => {
                let amount = match in_stripe_units(currency, *amount) {
                    Ok((_, amount)) => amount,
                    Err(message) => return Outcome::refused(message),
                };
                (
                    reqwest::Method::POST,
                    "/v1/refunds".to_owned(),
                    vec![
                        ("payment_intent".to_owned(), intent_id.clone()),
                        ("amount".to_owned(), amount.to_string()),
                    ],
                )
            }
            Operation::Checkout { amount, currency, capture, customer, payment_id } => {
                let (currency, amount) = match in_stripe_units(currency, *amount) {
                    Ok(converted) => converted,
                    Err(message) => return Outcome::refused(message),
                };
                let (Some(success), Some(cancel)) =
                    (&self.options.checkout_success_url, &self.options.checkout_cancel_url)
                else {
                    return Outcome::refused(
                        "Stripe Checkout needs STRIPE_CHECKOUT_SUCCESS_URL and STRIPE_CHECKOUT_CANCEL_URL"
                            .into(),
                    );
                };
                let mut form = vec![
                    ("mode".to_owned(), "payment".to_owned()),
                    ("line_items[0][quantity]".to_owned(), "1".to_owned()),
                    ("line_items[0][price_data][currency]".to_owned(), currency),
                    ("line_items[0][price_data][unit_amount]".to_owned(), amount.to_string()),
                    (
                        "line_items[0][price_data][product_data][name]".to_owned(),
                        format!("Payment {payment_id}"),
                    ),
                    (
                        "payment_intent_data[capture_method]".to_owned(),
                        if *capture { "automatic" } else { "manual" }.to_owned(),
                    ),
                    // Cards settle at once; delayed methods could outlast the lookups.
                    ("payment_method_types[]".to_owned(), "card".to_owned()),
                    ("success_url".to_owned(), success.replace("{PAYMENT_ID}", payment_id)),
                    ("cancel_url".to_owned(), cancel.replace("{PAYMENT_ID}", payment_id)),
                ];
                // The hosted page's PaymentIntent may be captured in parts too.
                if self.options.multicapture && !capture {
                    let option = "payment_method_options[card][request_multicapture]";
                    form.push((option.to_owned(), "if_available".to_owned()));
                }
                if let Some(customer) = customer {
                    form.push(("customer".to_owned(), customer.clone()));
                }
                (reqwest::Method::POST, "/v1/checkout/sessions".to_owned(), form)
            }
            Operation::CreateCustomer { email, name } => {
                let mut form = vec![("email".to_owned(), email.clone())];
                if let Some(name) = name {
                    form.push(("name".to_owned(), name.clone()));
                }
                (reqwest::Method::POST, "/v1/customers".to_owned(), form)
            }
            // A hosted checkout is abandoned by expiring its session.
            Operation::Cancel { intent_id } if intent_id.starts_with("cs_") => (
                reqwest::Method::POST,
                format!("/v1/checkout/sessions/{}/expire", segment(intent_id)),
                vec![],
            ),
            Operation::Cancel { intent_id } => {
                (reqwest::Method::POST, format!("/v1/payment_intents/{}/cancel", segment(intent_id)), vec![])
            }
            Operation::Retrieve { object_id, .. } if object_id.starts_with("re_") => {
                (reqwest::Method::GET, format!("/v1/refunds/{}", segment(object_id)), vec![])
            }
            Operation::Retrieve { object_id, .. } => {
                (reqwest::Method::GET, format!("/v1/payment_intents/{}", segment(object_id)), vec![])
            }
        };
        let creates = matches!(
            request.operation,
            Operation::Authorize { .. }
                | Operation::Refund { .. }
                | Operation::CreateCustomer { .. }
                | Operation::Checkout { .. }
        );
        if creates {
            form.extend(request.metadata.iter().map(|(k, v)| (format!("metadata[{k}]"), v.clone())));
        }
        // The hosted page's PaymentIntent carries the ct ids too, for the dashboard and for its
        // events before the session's lookup records it.
        if matches!(request.operation, Operation::Checkout { .. }) {
            form.extend(
                request
                    .metadata
                    .iter()
                    .map(|(k, v)| (format!("payment_intent_data[metadata][{k}]"), v.clone())),
            );
        }
        let mut http = self
            .client
            .request(method.clone(), format!("{}{path}", self.api_base))
            .bearer_auth(self.secret_key.expose());
        if method == reqwest::Method::POST {
            http = http.header("Idempotency-Key", &request.idempotency_key).form(&form);
        }
        if let Some(account) = &request.account {
            http = http.header("Stripe-Account", account);
        }
        let response = match http.send().await {
            Ok(response) => response,
            // Timeouts, resets and refused connections: nobody knows what Stripe did.
            Err(error) => return Outcome::Unknown(format!("no answer from Stripe: {error}")),
        };
        let status = response.status();
        let body = match response.text().await {
            Ok(body) => body,
            Err(error) => return Outcome::Unknown(format!("unreadable answer from Stripe: {error}")),
        };
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 409 {
            return Outcome::Unknown(format!("Stripe answered {status}"));
        }
        // Our key, or its access to the account, was refused: nothing was done, and it is no
        // fault of the customer's. The call is tried again (with backoff) until an operator fixes
        // the key; the transaction stays Pending meanwhile.
        if matches!(status.as_u16(), 401 | 403) {
            log::error!("Stripe refused our API key ({status}): check STRIPE_SECRET_KEY and its access to the account");
            return Outcome::Unknown(format!("Stripe refused our API key ({status})"));
        }
        // A failed lookup says nothing about the object: never record it as a decline.
        if !status.is_success() && matches!(request.operation, Operation::Retrieve { .. }) {
            return Outcome::Unknown(format!("Stripe answered {status} to a lookup"));
        }
        if !status.is_success() {
            let error = serde_json::from_str::<ErrorBody>(&body).map(|b| b.error).unwrap_or_default();
            // The key was used with other parameters: says nothing about what the first call did.
            if error.kind.as_deref() == Some("idempotency_error") {
                return Outcome::Unknown(format!("Stripe refused the idempotency key: {:?}", error.message));
            }
            // Type and code only: Stripe's message may repeat what was sent (a token, say).
            log::info!(
                "Stripe refused a call ({status}, {}, {})",
                error.kind.as_deref().unwrap_or("no error type"),
                error.decline_code.as_deref().or(error.code.as_deref()).unwrap_or("no code")
            );
            let report = Report {
                object_id: error.payment_intent.and_then(|pi| pi.id),
                status: format!("http_{}", status.as_u16()),
                code: error.decline_code.or(error.code),
                message: error.message,
                ..Report::default()
            };
            // A cancel refused because the PaymentIntent is cancelled already (it expired, or
            // was cancelled in the dashboard, while ours was on its way), or an expiry refused
            // because the Checkout Session expired already, did what it was for. One refused
            // because the customer paid meanwhile reports that status. (A lookup that fails
            // leaves the outcome unknown, and the cancel is tried again.)
            match &request.operation {
                Operation::Cancel { intent_id } => {
                    return self.refused_cancel(intent_id, request.account.as_deref(), report).await
                }
                Operation::Capture { intent_id, .. } => {
                    return self.refused_capture(intent_id, request.account.as_deref(), report).await
                }
                _ => return Outcome::Failed(report),
            }
        }
        let is_refund = match &request.operation {
            Operation::Refund { .. } => true,
            Operation::Retrieve { object_id, .. } => object_id.starts_with("re_"),
            _ => false,
        };
        match request.operation {
            Operation::Cancel { intent_id } if intent_id.starts_with("cs_") => {
                match serde_json::from_str::<CheckoutSession>(&body) {
                    Ok(session) if session.status == "expired" => Outcome::Succeeded(Report {
                        object_id: Some(session.id),
                        status: "expired".into(),
                        ..Report::default()
                    }),
                    Ok(session) => Outcome::Failed(Report {
                        object_id: Some(session.id),
                        status: session.status,
                        ..Report::default()
                    }),
                    Err(error) => {
                        Outcome::Unknown(format!("unexpected Checkout Session from Stripe: {error}"))
                    }
                }
            }
            Operation::Checkout { .. } => match serde_json::from_str::<CheckoutSession>(&body) {
                Ok(session) => self.session_outcome(session, request.account.as_deref()).await,
                Err(error) => Outcome::Unknown(format!("unexpected Checkout Session from Stripe: {error}")),
            },
            Operation::CreateCustomer { .. } => match serde_json::from_str::<StripeCustomer>(&body) {
                Ok(customer) => Outcome::Succeeded(Report {
                    object_id: Some(customer.id),
                    status: "created".into(),
                    ..Report::default()
                }),
                Err(error) => Outcome::Unknown(format!("unexpected customer from Stripe: {error}")),
            },
            _ if is_refund => match serde_json::from_str::<StripeRefund>(&body) {
                Ok(refund) => refund.outcome(),
                Err(error) => Outcome::Unknown(format!("unexpected refund from Stripe: {error}")),
            },
            _ => match serde_json::from_str::<PaymentIntent>(&body) {
                Ok(intent) => intent.outcome(&request.operation),
                Err(error) => Outcome::Unknown(format!("unexpected PaymentIntent from Stripe: {error}")),
            },
        }
    }
}

impl Stripe {
    /// Whether the PaymentIntent's card payment can be captured more than once
    /// (`latest_charge.payment_method_details.card.multicapture.status`).
    async fn multicapture_available(&self, intent_id: &str, account: Option<&str>) -> Result<bool, Outcome> {
        let path = format!("/v1/payment_intents/{}", segment(intent_id));
        let intent: IntentCharge = self.get_json(&path, &[("expand[]", "latest_charge")], account).await?;
        let status = intent
            .latest_charge
            .and_then(|charge| charge.payment_method_details)
            .and_then(|details| details.card)
            .and_then(|card| card.multicapture)
            .map(|multicapture| multicapture.status);
        Ok(status.as_deref() == Some("available"))
    }

    /// Where a Checkout Session stands: open (the customer has its URL), expired (a failure),
    /// or complete, when its PaymentIntent tells the outcome and becomes the transaction's
    /// provider object.
    async fn session_outcome(&self, session: CheckoutSession, account: Option<&str>) -> Outcome {
        match (session.status.as_str(), session.payment_intent) {
            ("complete", Some(intent_id)) => {
                let path = format!("/v1/payment_intents/{}", segment(&intent_id));
                match self.get_json::<PaymentIntent>(&path, &[], account).await {
                    Ok(intent) => intent
                        .outcome(&Operation::Retrieve { object_id: intent_id, customer_confirms: false }),
                    Err(unknown) => unknown,
                }
            }
            ("expired", _) => Outcome::Failed(Report {
                object_id: Some(session.id),
                status: "expired".into(),
                message: Some("The customer did not pay before the Checkout Session expired.".into()),
                ..Report::default()
            }),
            (status, _) => Outcome::Pending(Report {
                object_id: Some(session.id),
                status: status.to_owned(),
                next_action: session.url.map(|url| {
                    serde_json::json!({"type": "redirect_to_url", "redirect_to_url": {"url": url}})
                        .to_string()
                }),
                ..Report::default()
            }),
        }
    }

    /// After a refused cancel: Succeeded if the PaymentIntent is cancelled (or the Checkout
    /// Session expired) already, Unknown if the lookup fails; else Failed with the object's
    /// status (say `succeeded`: the customer paid, and what was paid is refunded, not cancelled).
    async fn refused_cancel(&self, intent_id: &str, account: Option<&str>, refusal: Report) -> Outcome {
        let (path, done) = if intent_id.starts_with("cs_") {
            (format!("/v1/checkout/sessions/{}", segment(intent_id)), "expired")
        } else {
            (format!("/v1/payment_intents/{}", segment(intent_id)), "canceled")
        };
        match self.get_json::<ObjectStatus>(&path, &[], account).await {
            Ok(object) if object.status.as_deref() == Some(done) => Outcome::Succeeded(Report {
                object_id: Some(object.id),
                status: done.into(),
                ..Report::default()
            }),
            // The status is what the client reads (`interfaceCode`), not Stripe's error code.
            Ok(ObjectStatus { id, status: Some(status), amount_received, currency }) => Outcome::Failed(Report {
                message: Some(match status.as_str() {
                    "succeeded" => "The PaymentIntent has succeeded (paid, or captured for the last time): nothing is left to cancel; refund what should go back.".into(),
                    "complete" => "The customer completed the checkout already: once its PaymentIntent is recorded, cancel its authorization or refund its charge.".into(),
                    _ => format!("{id} is {status} and cannot be cancelled: {}", refusal.message.unwrap_or_default()),
                }),
                object_id: Some(id),
                status,
                code: None,
                captured: captured(amount_received, currency),
                ..refusal
            }),
            Ok(_) => Outcome::Failed(refusal),
            Err(unknown) => unknown,
        }
    }

    /// After a refused capture: Failed all the same (Stripe took nothing for it), but if the
    /// PaymentIntent has succeeded meanwhile (captured in Stripe's dashboard before ours
    /// arrived) the report also carries its status and what it captured, so that the capture
    /// is recorded as the webhook would (the refusal's code stays the `interfaceCode`). A
    /// lookup that fails leaves the outcome unknown: the retry is refused again (under the
    /// same key) and looks again.
    async fn refused_capture(&self, intent_id: &str, account: Option<&str>, refusal: Report) -> Outcome {
        let path = format!("/v1/payment_intents/{}", segment(intent_id));
        match self.get_json::<ObjectStatus>(&path, &[], account).await {
            Ok(ObjectStatus { id, status: Some(status), amount_received, currency }) if status == "succeeded" => {
                Outcome::Failed(Report {
                    message: Some(format!(
                        "{id} has succeeded already (captured outside this payment, in Stripe's dashboard or by an earlier final capture): nothing is left to capture."
                    )),
                    object_id: Some(id),
                    status,
                    captured: captured(amount_received, currency),
                    ..refusal
                })
            }
            Ok(_) => Outcome::Failed(refusal),
            Err(unknown) => unknown,
        }
    }

    /// A GET of a Stripe object; any failure is unknown (a lookup never declines).
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        account: Option<&str>,
    ) -> Result<T, Outcome> {
        let unknown = |error: String| Outcome::Unknown(format!("cannot look up {path}: {error}"));
        let http = self.client.get(format!("{}{path}", self.api_base)).query(query);
        let body = self.direct(http, None, account).await.map_err(|error| match error {
            CallError::Refused(reason) | CallError::Unavailable(reason) => unknown(reason),
        })?;
        serde_json::from_str(&body).map_err(|e| unknown(e.to_string()))
    }
}

/// Whether `id` can be a Stripe account id (and so a `Stripe-Account` header).
pub fn is_account_id(id: &str) -> bool {
    id.strip_prefix("acct_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// An id as one URL path segment. Ids can come from clients (an `interactionId`, a payment
/// method to save), so nothing in them may reach another Stripe endpoint: every byte but
/// letters, digits, `_` and `-` is percent-encoded.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What a PaymentIntent captured, as a Report tells it (None before anything was).
fn captured(amount_received: i64, currency: String) -> Option<(i64, String)> {
    (amount_received > 0).then_some((amount_received, currency))
}

/// Any Stripe object's id and status.
#[derive(Deserialize)]
struct ObjectStatus {
    id: String,
    status: Option<String>,
    /// A PaymentIntent's: what it captured.
    #[serde(default)]
    amount_received: i64,
    #[serde(default)]
    currency: String,
}

/// A Checkout Session, as far as we read it.
#[derive(Deserialize)]
struct CheckoutSession {
    id: String,
    status: String,
    url: Option<String>,
    payment_intent: Option<String>,
}

/// The part of a PaymentIntent (with `latest_charge` expanded) that tells about multicapture.
#[derive(Deserialize)]
struct IntentCharge {
    latest_charge: Option<ExpandedCharge>,
}

#[derive(Deserialize)]
struct ExpandedCharge {
    payment_method_details: Option<ChargeMethodDetails>,
}

#[derive(Deserialize)]
struct ChargeMethodDetails {
    card: Option<CardDetails>,
}

#[derive(Deserialize)]
struct CardDetails {
    multicapture: Option<Multicapture>,
}

#[derive(Deserialize)]
struct Multicapture {
    status: String,
}

impl Provider for Stripe {
    fn interface_name(&self) -> &str {
        &self.interface_name
    }

    fn execute(&self, request: Request) -> OutcomeFuture<'_> {
        Box::pin(self.call(request))
    }

    fn wallet(&self, account: Option<String>, call: WalletCall) -> WalletFuture<'_> {
        Box::pin(async move { self.wallet_call(account.as_deref(), call).await })
    }

    fn accounts(&self, call: AccountCall) -> AccountFuture<'_> {
        Box::pin(self.account_call(call))
    }
}

impl Stripe {
    /// Sends a direct call (not an outbox operation) and answers the body of a success.
    async fn direct(
        &self,
        http: reqwest::RequestBuilder,
        idempotency_key: Option<String>,
        account: Option<&str>,
    ) -> Result<String, CallError> {
        if let Some(account) = account.filter(|a| !is_account_id(a)) {
            return Err(CallError::Refused(format!("'{account}' is not a Stripe account id (acct_…).")));
        }
        let mut http = http.bearer_auth(self.secret_key.expose());
        if let Some(key) = idempotency_key {
            http = http.header("Idempotency-Key", key);
        }
        if let Some(account) = account {
            http = http.header("Stripe-Account", account);
        }
        let response =
            http.send().await.map_err(|e| CallError::Unavailable(format!("no answer from Stripe: {e}")))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| CallError::Unavailable(e.to_string()))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(CallError::Unavailable(format!("Stripe answered {status}")));
        }
        if !status.is_success() {
            let error = serde_json::from_str::<ErrorBody>(&body).map(|b| b.error).unwrap_or_default();
            return Err(CallError::Refused(
                error.message.unwrap_or_else(|| format!("Stripe refused the call ({status}).")),
            ));
        }
        Ok(body)
    }

    async fn account_call(&self, call: AccountCall) -> Result<AccountAnswer, CallError> {
        let base = &self.api_base;
        let (http, idempotency_key) = match &call {
            AccountCall::Create { kind, email, country, idempotency_key, project_key } => {
                let mut form =
                    vec![("type", kind.clone()), ("metadata[ct_project_key]", project_key.clone())];
                form.extend(email.clone().map(|email| ("email", email)));
                form.extend(country.clone().map(|country| ("country", country)));
                (self.client.post(format!("{base}/v1/accounts")).form(&form), Some(idempotency_key.clone()))
            }
            AccountCall::Retrieve { account } => {
                (self.client.get(format!("{base}/v1/accounts/{}", segment(account))), None)
            }
            AccountCall::Delete { account } => {
                (self.client.delete(format!("{base}/v1/accounts/{}", segment(account))), None)
            }
            AccountCall::OnboardingLink { account, refresh_url, return_url } => (
                self.client.post(format!("{base}/v1/account_links")).form(&[
                    ("account", account.as_str()),
                    ("refresh_url", refresh_url.as_str()),
                    ("return_url", return_url.as_str()),
                    ("type", "account_onboarding"),
                ]),
                None,
            ),
            AccountCall::LoginLink { account } => {
                (self.client.post(format!("{base}/v1/accounts/{}/login_links", segment(account))), None)
            }
        };
        let body = self.direct(http, idempotency_key, None).await?;
        let unexpected =
            |e: serde_json::Error| CallError::Unavailable(format!("unexpected answer from Stripe: {e}"));
        match call {
            AccountCall::Create { .. } | AccountCall::Retrieve { .. } => {
                let account: StripeAccount = serde_json::from_str(&body).map_err(unexpected)?;
                Ok(AccountAnswer::Account(ConnectedAccount {
                    id: account.id,
                    kind: account.kind.unwrap_or_default(),
                    email: account.email,
                    country: account.country,
                    charges_enabled: account.charges_enabled.unwrap_or_default(),
                    payouts_enabled: account.payouts_enabled.unwrap_or_default(),
                    details_submitted: account.details_submitted.unwrap_or_default(),
                }))
            }
            AccountCall::Delete { account } => Ok(AccountAnswer::Deleted { account }),
            AccountCall::OnboardingLink { .. } | AccountCall::LoginLink { .. } => {
                let link: StripeLink = serde_json::from_str(&body).map_err(unexpected)?;
                Ok(AccountAnswer::Link { url: link.url, expires_at: link.expires_at })
            }
        }
    }

    async fn wallet_call(
        &self,
        account: Option<&str>,
        call: WalletCall,
    ) -> Result<Vec<SavedMethod>, CallError> {
        // No idempotency keys: attaching or detaching again does no harm, and a key would
        // replay an earlier attach after a detach.
        let http = match &call {
            WalletCall::List { customer } => self
                .client
                .get(format!("{}/v1/payment_methods", self.api_base))
                .query(&[("customer", customer.as_str()), ("type", "card"), ("limit", "100")]),
            WalletCall::Attach { customer, payment_method } => self
                .client
                .post(format!("{}/v1/payment_methods/{}/attach", self.api_base, segment(payment_method)))
                .form(&[("customer", customer.as_str())]),
            WalletCall::Detach { payment_method } => self.client.post(format!(
                "{}/v1/payment_methods/{}/detach",
                self.api_base,
                segment(payment_method)
            )),
        };
        let body = self.direct(http, None, account).await?;
        let unexpected =
            |e: serde_json::Error| CallError::Unavailable(format!("unexpected answer from Stripe: {e}"));
        let methods = match call {
            WalletCall::List { .. } => serde_json::from_str::<MethodList>(&body).map_err(unexpected)?.data,
            WalletCall::Attach { .. } | WalletCall::Detach { .. } => {
                vec![serde_json::from_str::<StripeMethod>(&body).map_err(unexpected)?]
            }
        };
        Ok(methods.into_iter().map(StripeMethod::summary).collect())
    }
}

#[derive(Deserialize)]
struct StripeAccount {
    id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    email: Option<String>,
    country: Option<String>,
    charges_enabled: Option<bool>,
    payouts_enabled: Option<bool>,
    details_submitted: Option<bool>,
}

#[derive(Deserialize)]
struct StripeLink {
    url: String,
    expires_at: Option<i64>,
}

#[derive(Deserialize)]
struct MethodList {
    data: Vec<StripeMethod>,
}

/// A PaymentMethod, read for its allow-listed summary only.
#[derive(Deserialize)]
struct StripeMethod {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    card: Option<StripeCard>,
}

#[derive(Deserialize)]
struct StripeCard {
    brand: Option<String>,
    last4: Option<String>,
    exp_month: Option<i64>,
    exp_year: Option<i64>,
}

impl StripeMethod {
    fn summary(self) -> SavedMethod {
        SavedMethod {
            id: self.id,
            kind: self.kind,
            card: self.card.map(|card| CardSummary {
                brand: card.brand.unwrap_or_default(),
                last4: card.last4.unwrap_or_default(),
                exp_month: card.exp_month.unwrap_or_default(),
                exp_year: card.exp_year.unwrap_or_default(),
            }),
        }
    }
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: StripeError,
}

#[derive(Deserialize, Default)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
    payment_intent: Option<IntentRef>,
}

#[derive(Deserialize, Default)]
struct IntentRef {
    id: Option<String>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

#[derive(Deserialize)]
struct PaymentIntent {
    id: String,
    status: IntentStatus,
    #[serde(default)]
    amount_received: i64,
    #[serde(default)]
    currency: String,
    client_secret: Option<String>,
    next_action: Option<serde_json::Value>,
    last_payment_error: Option<LastError>,
}

#[derive(Deserialize)]
struct LastError {
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
}

impl PaymentIntent {
    fn outcome(self, operation: &Operation) -> Outcome {
        let status_text = match self.status {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::Processing => "processing",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Canceled => "canceled",
            IntentStatus::Succeeded => "succeeded",
        };
        let (code, message) = match &self.last_payment_error {
            Some(error) => (error.decline_code.clone().or(error.code.clone()), error.message.clone()),
            None => (None, None),
        };
        let report = Report {
            object_id: Some(self.id),
            status: status_text.to_owned(),
            code,
            message,
            client_secret: None,
            next_action: None,
            captured: captured(self.amount_received, self.currency.clone()),
        };
        match (operation, self.status) {
            (Operation::Cancel { .. }, IntentStatus::Canceled) => Outcome::Succeeded(report),
            (Operation::Cancel { .. }, _) => Outcome::Failed(report),
            (_, IntentStatus::RequiresCapture | IntentStatus::Succeeded) => Outcome::Succeeded(report),
            // Created without a payment method, or not yet paid: the customer confirms it in the
            // browser (Stripe.js) with the client secret. Only a failed attempt is a decline.
            (
                Operation::Authorize { payment_method: None, .. } | Operation::Retrieve { .. },
                IntentStatus::RequiresPaymentMethod,
            ) if self.last_payment_error.is_none() => {
                Outcome::Pending(Report { client_secret: self.client_secret, ..report })
            }
            // A card declined in the browser: the customer may still pay with another one.
            (Operation::Retrieve { customer_confirms: true, .. }, IntentStatus::RequiresPaymentMethod) => {
                Outcome::Pending(Report { client_secret: self.client_secret, ..report })
            }
            (_, IntentStatus::RequiresAction) => Outcome::Pending(Report {
                client_secret: self.client_secret,
                next_action: self.next_action.map(|a| a.to_string()),
                ..report
            }),
            (_, IntentStatus::Processing | IntentStatus::RequiresConfirmation) => Outcome::Pending(report),
            (_, IntentStatus::RequiresPaymentMethod | IntentStatus::Canceled) => Outcome::Failed(report),
        }
    }
}

#[derive(Deserialize)]
struct StripeCustomer {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
}

#[derive(Deserialize)]
struct StripeRefund {
    id: String,
    status: RefundStatus,
    failure_reason: Option<String>,
}

impl StripeRefund {
    fn outcome(self) -> Outcome {
        let (status, kind): (&str, fn(Report) -> Outcome) = match self.status {
            RefundStatus::Succeeded => ("succeeded", Outcome::Succeeded),
            RefundStatus::Pending => ("pending", Outcome::Pending),
            RefundStatus::RequiresAction => ("requires_action", Outcome::Pending),
            RefundStatus::Failed => ("failed", Outcome::Failed),
            RefundStatus::Canceled => ("canceled", Outcome::Failed),
        };
        kind(Report {
            object_id: Some(self.id),
            status: status.into(),
            code: self.failure_reason,
            ..Report::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn account_ids_are_checked_before_they_become_headers() {
        assert!(super::is_account_id("acct_1NbKq2Lk3Jd8Fh4x"));
        assert!(!super::is_account_id("acct_"));
        assert!(!super::is_account_id("acct_1\nX-Evil: 1"));
        assert!(!super::is_account_id("cus_1"));
    }

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(segment("pi_3NbK-x_1"), "pi_3NbK-x_1");
        assert_eq!(segment("../customers/cus_1?x=#"), "%2E%2E%2Fcustomers%2Fcus_1%3Fx%3D%23");
    }
}

//! Payment service providers. The provider trait speaks our domain (amounts, ids,
//! idempotency keys) and answers one of four outcomes; `stripe` keeps Stripe's vocabulary to
//! itself. `plan` decides what a transaction asks of the provider, `writeback` turns an
//! outcome into ordinary update actions.

pub mod plan;
pub mod signature;
pub mod stripe;
pub mod stripe_amounts;
pub mod stripe_events;
pub mod transitions;
pub mod writeback;

use crate::domain::money::CurrencyCode;
use std::future::Future;
use std::pin::Pin;

/// How the maps of provider objects and customers name the account calls go to: the connected
/// account, or the platform's own.
pub fn account_key(account: Option<&str>) -> String {
    account.unwrap_or(PLATFORM_ACCOUNT).to_owned()
}

/// The key of the platform's own account in those maps.
pub const PLATFORM_ACCOUNT: &str = "platform";

/// What we ask a provider to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Reserve (or, with `capture`, also collect) an amount with a payment method, for the
    /// provider's customer if the payment has a customer.
    Authorize {
        amount: i64,
        currency: CurrencyCode,
        payment_method: Option<String>,
        capture: bool,
        customer: Option<String>,
    },
    /// Have the customer pay on the provider's hosted page (a Stripe Checkout Session): with
    /// `capture` the amount is collected, without it only reserved. The session is settled by
    /// looking it up; once complete its PaymentIntent stands for the transaction.
    Checkout {
        amount: i64,
        currency: CurrencyCode,
        capture: bool,
        customer: Option<String>,
        payment_id: String,
    },
    /// Create the provider's counterpart of one of our customers.
    CreateCustomer { email: String, name: Option<String> },
    /// Collect (part of) an authorized amount. Unless `final_capture`, more captures of the
    /// same authorization are to come, so the provider should keep the rest reserved.
    Capture { intent_id: String, amount: i64, currency: CurrencyCode, final_capture: bool },
    /// Return (part of) a collected amount.
    Refund { intent_id: String, amount: i64, currency: CurrencyCode },
    /// Release an authorization (a PaymentIntent), or expire a hosted checkout's session
    /// (`cs_…`) that is still open.
    Cancel { intent_id: String },
    /// Look up where a provider object (a PaymentIntent, Refund or Checkout Session) stands now, to settle a
    /// transaction left Pending. With `customer_confirms` (the payment has no payment method:
    /// the customer pays in the browser) a declined attempt is not final.
    Retrieve { object_id: String, customer_confirms: bool },
}

impl Operation {
    /// The existing provider object the operation acts on (captures, refunds, cancels and
    /// lookups), which must be one this service created for the same payment.
    pub fn existing_object(&self) -> Option<&str> {
        match self {
            Self::Capture { intent_id, .. } | Self::Refund { intent_id, .. } | Self::Cancel { intent_id } => {
                Some(intent_id)
            }
            Self::Retrieve { object_id, .. } => Some(object_id),
            Self::Authorize { .. } | Self::Checkout { .. } | Self::CreateCustomer { .. } => None,
        }
    }
}

/// What an operation did, as its interface interaction records it (`operation`), and as the
/// executor decides what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Authorize,
    /// An authorization with automatic capture: a direct charge.
    Charge,
    Capture,
    Refund,
    Cancel,
    Retrieve,
    CreateCustomer,
    Checkout,
    /// Not sent: refused before any call (an object or account not ours, a plan that failed).
    Refused,
}

impl OperationKind {
    pub fn of(operation: &Operation) -> Self {
        match operation {
            Operation::Authorize { capture: false, .. } => Self::Authorize,
            Operation::Authorize { capture: true, .. } => Self::Charge,
            Operation::Capture { .. } => Self::Capture,
            Operation::Refund { .. } => Self::Refund,
            Operation::Cancel { .. } => Self::Cancel,
            Operation::Retrieve { .. } => Self::Retrieve,
            Operation::CreateCustomer { .. } => Self::CreateCustomer,
            Operation::Checkout { .. } => Self::Checkout,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Charge => "charge",
            Self::Capture => "capture",
            Self::Refund => "refund",
            Self::Cancel => "cancel",
            Self::Retrieve => "retrieve",
            Self::CreateCustomer => "create-customer",
            Self::Checkout => "checkout",
            Self::Refused => "refused",
        }
    }
}

/// One call to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub operation: Operation,
    /// The connected account the call is made for, if any.
    pub account: Option<String>,
    /// Stripe's `Idempotency-Key`: for a transaction's operation derived from the transaction
    /// id and the same on every retry; a release or a provider customer has keys of its own,
    /// and a lookup none (empty).
    pub idempotency_key: String,
    /// Our ids, carried by the provider's objects.
    pub metadata: Vec<(String, String)>,
}

/// What the provider said about the object it created or changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The provider's object id (e.g. a PaymentIntent or Refund id).
    pub object_id: Option<String>,
    /// The provider's status of that object.
    pub status: String,
    /// A decline or error code.
    pub code: Option<String>,
    pub message: Option<String>,
    /// For customer action (3-D Secure): what the client needs to continue.
    pub client_secret: Option<String>,
    pub next_action: Option<String>,
    /// What a PaymentIntent has captured, in the provider's units and currency, when it has.
    pub captured: Option<(i64, String)>,
}

/// The PaymentIntent statuses the service acts on beyond recording them, so that Stripe's
/// vocabulary stays in the adapter.
impl Report {
    /// Cancelled: it holds nothing and can no longer be paid.
    pub fn is_cancelled(&self) -> bool {
        self.status == "canceled"
    }

    /// Authorized and waiting for a capture (captures in parts leave it so).
    pub fn awaits_capture(&self) -> bool {
        self.status == "requires_capture"
    }

    /// Finished (for a PaymentIntent: whatever was not captured is released).
    pub fn is_completed(&self) -> bool {
        self.status == "succeeded"
    }

    /// Paid, and being processed: it will succeed or fail by itself.
    pub fn is_processing(&self) -> bool {
        self.status == "processing"
    }
}

/// The four ways a call can end. A timeout or server error is Unknown, never a decline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded(Report),
    Pending(Report),
    Failed(Report),
    Unknown(String),
}

impl Outcome {
    /// A call not made: what it asked for cannot be sent (status `refused`, with the reason).
    pub fn refused(message: String) -> Self {
        Self::Failed(Report { status: "refused".into(), message: Some(message), ..Report::default() })
    }
}

pub type OutcomeFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// A payment method a customer saved with the provider (an allow-listed summary: no card
/// number, only what a shop shows to let the customer choose).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedMethod {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<CardSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

/// A call about a provider customer's saved payment methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletCall {
    List { customer: String },
    Attach { customer: String, payment_method: String },
    Detach { payment_method: String },
}

/// Why a direct call (not an outbox operation) to the provider did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The provider refused it (an unknown or foreign payment method, a declined card).
    Refused(String),
    /// No answer, or a server error: nothing is known.
    Unavailable(String),
}

pub type WalletFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<SavedMethod>, CallError>> + Send + 'a>>;

/// A connected account of the platform (marketplace sellers), as far as a platform shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedAccount {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    pub details_submitted: bool,
}

/// A call about the platform's connected accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCall {
    Create {
        kind: String,
        email: Option<String>,
        country: Option<String>,
        idempotency_key: String,
        /// Ours, in the account's metadata, so that an account whose creation timed out can
        /// be told apart at Stripe.
        project_key: String,
    },
    Retrieve {
        account: String,
    },
    Delete {
        account: String,
    },
    /// A link that takes the account's owner through onboarding.
    OnboardingLink {
        account: String,
        refresh_url: String,
        return_url: String,
    },
    /// A link to the account's dashboard (Express accounts).
    LoginLink {
        account: String,
    },
}

/// What an account call answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAnswer {
    Account(ConnectedAccount),
    Deleted { account: String },
    Link { url: String, expires_at: Option<i64> },
}

pub type AccountFuture<'a> = Pin<Box<dyn Future<Output = Result<AccountAnswer, CallError>> + Send + 'a>>;

/// A payment service provider.
pub trait Provider: Send + Sync {
    /// The `paymentMethodInfo.paymentInterface` value of the payments it executes.
    fn interface_name(&self) -> &str;
    fn execute(&self, request: Request) -> OutcomeFuture<'_>;
    /// Lists, saves or removes a customer's payment methods, for `account` (a connected
    /// account) or the platform; answers the methods concerned.
    fn wallet(&self, account: Option<String>, call: WalletCall) -> WalletFuture<'_>;
    /// Creates, reads, deletes or links the platform's connected accounts.
    fn accounts(&self, call: AccountCall) -> AccountFuture<'_>;
}

/// What a provider event means for a payment's transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The intent completed: its authorization or charge succeeded.
    IntentSucceeded {
        intent_id: String,
    },
    /// A hosted checkout was completed or expired: its transaction is to be looked up now.
    CheckoutChanged {
        session_id: String,
    },
    /// The intent's amount is authorized and can be captured.
    IntentCapturable {
        intent_id: String,
    },
    IntentFailed {
        intent_id: String,
        code: Option<String>,
        message: Option<String>,
    },
    IntentCanceled {
        intent_id: String,
    },
    RefundSettled {
        refund_id: String,
        succeeded: bool,
    },
    /// A refund made at the provider, not by this service (say, in Stripe's dashboard): a
    /// Refund transaction records it, if the intent is one the payment authorized or charged.
    RefundedElsewhere {
        intent_id: String,
        refund_id: String,
        amount: i64,
        currency: String,
    },
    /// A customer disputed a charge of the intent: a Chargeback transaction, Pending until the
    /// dispute closes.
    DisputeOpened {
        intent_id: String,
        dispute_id: String,
        amount: i64,
        currency: String,
    },
    /// A dispute ended. The amount is the disputed one, for a close told before the opening;
    /// None for an inquiry's close, which settles a Chargeback recorded for it but adds none.
    DisputeClosed {
        intent_id: String,
        dispute_id: String,
        lost: bool,
        amount: Option<i64>,
        currency: String,
    },
    /// What the intent has captured in all, in the provider's units: more than the payment's
    /// charges record was captured elsewhere (say, in Stripe's dashboard).
    IntentCaptured {
        intent_id: String,
        amount: i64,
        currency: String,
    },
}

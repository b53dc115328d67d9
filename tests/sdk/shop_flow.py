"""A shop's payment flow through the `commercetools` Python SDK, against a running server.

The integration test `sdk::the_python_sdk_drives_a_shop_flow` starts the server and runs this
with CT_API, CT_PROJECT, CT_CLIENT_ID and CT_CLIENT_SECRET. The SDK deserializes every answer
with its own schemas, so a field of the wrong shape fails here even where our tests pass.
Exits non-zero at the first check that fails.
"""

import os
import uuid

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the server is on plain loopback http

from commercetools import CommercetoolsError
from commercetools.platform.client import Client
from commercetools.platform.models import common as cm
from commercetools.platform.models import payment as pm
from commercetools.platform.models import type as tm

API = os.environ["CT_API"]
PROJECT = os.environ["CT_PROJECT"]


def client(scopes):
    return Client(
        client_id=os.environ["CT_CLIENT_ID"],
        client_secret=os.environ["CT_CLIENT_SECRET"],
        scope=scopes,
        url=API,
        token_url=f"{API}/oauth/token",
    ).with_project_key(PROJECT)


def error_of(call):
    try:
        call()
    except CommercetoolsError as error:
        return error
    raise AssertionError("the call did not fail")


def eur(cents):
    return cm.Money(cent_amount=cents, currency_code="EUR")


# A scope list as the Merchant Center hands it out, most of it about other resources.
api = client([f"manage_project:{PROJECT}", f"view_orders:{PROJECT}", f"view_published_products:{PROJECT}"])

order_type = api.types().post(
    tm.TypeDraft(
        key="shop-order",
        name={"en": "Order"},
        resource_type_ids=[tm.ResourceTypeId.PAYMENT, tm.ResourceTypeId.TRANSACTION],
        field_definitions=[
            tm.FieldDefinition(
                name=name, label={"en": name}, required=False, type=field_type, input_hint=tm.TypeTextInputHint.SINGLE_LINE
            )
            for name, field_type in [
                ("orderNumber", tm.CustomFieldStringType()),
                ("fee", tm.CustomFieldMoneyType()),
                ("attempt", tm.CustomFieldNumberType()),
            ]
        ],
    )
)

key = f"order-{uuid.uuid4().hex[:8]}"
payment = api.payments().post(
    pm.PaymentDraft(
        key=key,
        amount_planned=eur(4200),
        payment_method_info=pm.PaymentMethodInfo(payment_interface="SHOP-PSP", method="CREDIT_CARD", name={"en": "Card"}),
        transactions=[pm.TransactionDraft(type=pm.TransactionType.AUTHORIZATION, amount=eur(4200))],
        custom=tm.CustomFieldsDraft(
            type=tm.TypeResourceIdentifier(key="shop-order"),
            fields=tm.FieldContainer(orderNumber="A-1", fee={"currencyCode": "EUR", "centAmount": 99}),
        ),
    )
)
assert payment.version == 1
assert isinstance(payment.amount_planned, cm.CentPrecisionMoney) and payment.amount_planned.fraction_digits == 2
assert payment.transactions[0].state == pm.TransactionState.INITIAL
assert payment.custom.type.id == order_type.id
assert payment.custom.fields["fee"] == {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 99, "fractionDigits": 2}

assert api.payments().with_id(payment.id).get().key == key
assert api.payments().with_key(key).get().id == payment.id
assert api.payments().with_id(str(uuid.uuid4())).get() is None

# The PSP answers: the authorization succeeded and the charge is pending.
authorization = payment.transactions[0].id
payment = api.payments().with_key(key).post(
    pm.PaymentUpdate(
        version=payment.version,
        actions=[
            pm.PaymentChangeTransactionStateAction(transaction_id=authorization, state=pm.TransactionState.SUCCESS),
            pm.PaymentChangeTransactionInteractionIdAction(transaction_id=authorization, interaction_id="pi_123"),
            pm.PaymentAddTransactionAction(
                transaction=pm.TransactionDraft(type=pm.TransactionType.CHARGE, amount=eur(4200), state=pm.TransactionState.PENDING)
            ),
            pm.PaymentSetStatusInterfaceCodeAction(interface_code="requires_capture"),
            pm.PaymentSetCustomFieldAction(name="attempt", value=1),
        ],
    )
)
assert payment.version == 6, payment.version
assert payment.transactions[1].type == pm.TransactionType.CHARGE

page = api.payments().get(
    where=["amountPlanned(centAmount > 500) and transactions(state = \"Pending\")", "key in :keys"],
    predicate_var={"keys": [key, "another"]},
    sort=["createdAt desc"],
    limit=10,
    with_total=False,
)
assert [p.id for p in page.results] == [payment.id] and page.total is None
page = api.payments().get(where=["custom(fields(fee(centAmount = 99)))", "transactions(interactionId = \"pi_123\")"])
assert page.total == 1

# A stale version is a ConcurrentModification with the current version where the SDK reads it.
stale = error_of(
    lambda: api.payments().with_id(payment.id).post(
        pm.PaymentUpdate(version=1, actions=[pm.PaymentSetStatusInterfaceTextAction(interface_text="late")])
    )
)
assert stale.code == "ConcurrentModification" and stale.response.errors[0].current_version == payment.version
payment = api.payments().with_id(payment.id).post(
    pm.PaymentUpdate(version=1, actions=[pm.PaymentSetStatusInterfaceTextAction(interface_text="late")]),
    options={"force_version": True},
)
assert payment.payment_status.interface_text == "late"

refused = error_of(lambda: api.payments().post(pm.PaymentDraft(amount_planned=cm.Money(cent_amount=1, currency_code="XYZ"))))
assert refused.code == "InvalidJsonInput" and refused.correlation_id
duplicate = error_of(lambda: api.payments().post(pm.PaymentDraft(key=key, amount_planned=eur(1))))
assert duplicate.code == "DuplicateField"

messages = api.messages().get(where=[f'resource(id = "{payment.id}") and type = "PaymentTransactionAdded"'])
assert messages.total == 1 and messages.results[0].transaction.type == pm.TransactionType.CHARGE

deleted = api.payments().with_key(key).delete(version=payment.version, data_erasure=True)
assert deleted.id == payment.id
assert api.payments().with_id(payment.id).get() is None
print("the shop flow passed")

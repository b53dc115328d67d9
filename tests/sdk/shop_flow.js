// A shop's payment flow through commercetools' official TypeScript SDK (`@commercetools/platform-sdk`
// on `@commercetools/ts-client`), against a running server.
//
// The integration test `sdk::the_typescript_sdk_drives_a_shop_flow` starts the server and runs this
// with CT_API, CT_PROJECT, CT_CLIENT_ID and CT_CLIENT_SECRET, and NODE_PATH naming the SDK's
// node_modules. Besides the answers themselves it checks what the SDK's middlewares rely on: the
// token endpoint, `errors[0].currentVersion` for the concurrent-modification retry, and the
// correlation id; and a shopper's payments through the SDK's anonymous session and password
// flows (My Payments). Exits non-zero at the first check that fails.

const assert = require('node:assert/strict');
const { ClientBuilder } = require('@commercetools/ts-client');
const { createApiBuilderFromCtpClient } = require('@commercetools/platform-sdk');

const { CT_API: host, CT_PROJECT: projectKey, CT_CLIENT_ID: clientId, CT_CLIENT_SECRET: clientSecret } = process.env;

function api(scopes, { retryOnConflict = false } = {}) {
  let builder = new ClientBuilder()
    .withProjectKey(projectKey)
    .withClientCredentialsFlow({ host, projectKey, credentials: { clientId, clientSecret }, scopes, httpClient: fetch })
    .withCorrelationIdMiddleware({ generate: () => `shop-flow-${Date.now()}` })
    .withHttpMiddleware({ host, httpClient: fetch, includeResponseHeaders: true });
  if (retryOnConflict) builder = builder.withConcurrentModificationMiddleware();
  return createApiBuilderFromCtpClient(builder.build()).withProjectKey({ projectKey });
}

// A shopper's front end: a token of an anonymous session, or of a signed-in customer.
function shopper(flow) {
  const credentials = { clientId, clientSecret };
  const scopes = [`manage_my_payments:${projectKey}`];
  const builder = flow(new ClientBuilder().withProjectKey(projectKey), { host, projectKey, credentials, scopes, httpClient: fetch })
    .withHttpMiddleware({ host, httpClient: fetch });
  return createApiBuilderFromCtpClient(builder.build()).withProjectKey({ projectKey });
}

// The error the SDK throws for a request that failed.
async function failure(request) {
  try {
    await request.execute();
  } catch (error) {
    return error;
  }
  throw new Error('the request did not fail');
}

const eur = (centAmount) => ({ currencyCode: 'EUR', centAmount });

async function main() {
  // A scope list as the Merchant Center hands it out, most of it about other resources.
  const shop = api([`manage_project:${projectKey}`, `view_orders:${projectKey}`, `view_published_products:${projectKey}`]);
  const suffix = Math.random().toString(36).slice(2, 10);

  const type = (
    await shop
      .types()
      .post({
        body: {
          key: `ts-order-${suffix}`,
          name: { en: 'Order' },
          resourceTypeIds: ['payment', 'transaction'],
          fieldDefinitions: [
            { name: 'orderNumber', label: { en: 'Order number' }, required: false, type: { name: 'String' }, inputHint: 'SingleLine' },
            { name: 'fee', label: { en: 'Fee' }, required: false, type: { name: 'Money' } },
          ],
        },
      })
      .execute()
  ).body;

  const key = `ts-order-${suffix}`;
  const created = await shop
    .payments()
    .post({
      body: {
        key,
        amountPlanned: eur(4200),
        paymentMethodInfo: { paymentInterface: 'SHOP-PSP', method: 'CREDIT_CARD', name: { en: 'Card' } },
        transactions: [{ type: 'Authorization', amount: eur(4200) }],
        custom: { type: { typeId: 'type', key: type.key }, fields: { orderNumber: 'A-1', fee: eur(99) } },
      },
    })
    .execute();
  assert.equal(created.statusCode, 201);
  let payment = created.body;
  assert.equal(payment.version, 1);
  assert.deepEqual(payment.amountPlanned, { type: 'centPrecision', currencyCode: 'EUR', centAmount: 4200, fractionDigits: 2 });
  assert.equal(payment.transactions[0].state, 'Initial');
  assert.deepEqual(payment.custom.type, { typeId: 'type', id: type.id });
  assert.match(created.headers['x-correlation-id'], /^shop-flow-/);

  assert.equal((await shop.payments().withKey({ key }).get().execute()).body.id, payment.id);
  assert.equal((await shop.payments().withKey({ key }).head().execute()).statusCode, 200);
  const missing = await failure(shop.payments().withId({ ID: crypto.randomUUID() }).get());
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.body.errors[0].code, 'ResourceNotFound');
  assert.equal((await failure(shop.payments().withKey({ key: `${key}-none` }).head())).statusCode, 404);

  // The PSP answers: the authorization succeeded and the charge is pending.
  const authorization = payment.transactions[0].id;
  payment = (
    await shop
      .payments()
      .withId({ ID: payment.id })
      .post({
        body: {
          version: payment.version,
          actions: [
            { action: 'changeTransactionState', transactionId: authorization, state: 'Success' },
            { action: 'changeTransactionInteractionId', transactionId: authorization, interactionId: 'pi_123' },
            { action: 'addTransaction', transaction: { type: 'Charge', amount: eur(4200), state: 'Pending' } },
            { action: 'setStatusInterfaceCode', interfaceCode: 'requires_capture' },
          ],
        },
      })
      .execute()
  ).body;
  assert.equal(payment.version, 5);
  assert.equal(payment.transactions[1].type, 'Charge');

  // Predicates with variables, sorting, paging without the total, reference expansion.
  const page = (
    await shop
      .payments()
      .get({
        queryArgs: {
          where: ['amountPlanned(centAmount > :min) and transactions(state = "Pending")', 'key in :keys'],
          'var.min': 500,
          'var.keys': [key, 'another'],
          sort: ['createdAt desc'],
          limit: 10,
          withTotal: false,
          expand: ['custom.type'],
        },
      })
      .execute()
  ).body;
  assert.deepEqual(page.results.map((p) => p.id), [payment.id]);
  assert.equal(page.total, undefined);
  assert.equal(page.results[0].custom.type.obj.key, type.key);
  const byFee = await shop
    .payments()
    .get({ queryArgs: { where: 'custom(fields(fee(centAmount = 99))) and transactions(interactionId = "pi_123")' } })
    .execute();
  assert.equal(byFee.body.total, 1);
  assert.equal((await shop.payments().head({ queryArgs: { where: `key = "${key}"` } }).execute()).statusCode, 200);

  // A stale version is a ConcurrentModification whose current version is where the SDK reads it;
  // its middleware then repeats the request with that version.
  const stale = { version: 1, actions: [{ action: 'setStatusInterfaceText', interfaceText: 'late' }] };
  const conflict = await failure(shop.payments().withId({ ID: payment.id }).post({ body: stale }));
  assert.equal(conflict.statusCode, 409);
  assert.equal(conflict.body.errors[0].code, 'ConcurrentModification');
  assert.equal(conflict.body.errors[0].currentVersion, payment.version);
  const retrying = api([`manage_payments:${projectKey}`], { retryOnConflict: true });
  payment = (await retrying.payments().withId({ ID: payment.id }).post({ body: stale }).execute()).body;
  assert.equal(payment.paymentStatus.interfaceText, 'late');
  assert.equal(payment.version, 6);

  // Bad input is refused in commercetools' error format, and changes nothing.
  const unknownAction = await failure(
    shop.payments().withId({ ID: payment.id }).post({ body: { version: payment.version, actions: [{ action: 'setColour' }] } }),
  );
  assert.equal(unknownAction.statusCode, 400);
  assert.equal(unknownAction.body.errors[0].code, 'InvalidJsonInput');
  const duplicate = await failure(shop.payments().post({ body: { key, amountPlanned: eur(1) } }));
  assert.equal(duplicate.body.errors[0].code, 'DuplicateField');
  assert.equal(duplicate.body.errors[0].field, 'key');
  const badCurrency = await failure(shop.payments().post({ body: { amountPlanned: { currencyCode: 'XYZ', centAmount: 1 } } }));
  assert.equal(badCurrency.statusCode, 400);
  assert.equal((await shop.payments().withId({ ID: payment.id }).get().execute()).body.version, payment.version);

  // A token without the scope is refused.
  const reader = api([`view_payments:${projectKey}`]);
  const forbidden = await failure(reader.payments().post({ body: { amountPlanned: eur(1) } }));
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.body.errors[0].code, 'insufficient_scope');

  const messages = (
    await shop
      .messages()
      .get({ queryArgs: { where: `resource(id = "${payment.id}")`, sort: 'sequenceNumber asc' } })
      .execute()
  ).body;
  assert.deepEqual(
    messages.results.map((m) => m.type),
    [
      'PaymentCreated',
      'PaymentTransactionStateChanged',
      'PaymentTransactionAdded',
      'PaymentStatusInterfaceCodeSet',
    ],
  );

  const deleted = await shop.payments().withKey({ key }).delete({ queryArgs: { version: payment.version, dataErasure: true } }).execute();
  assert.equal(deleted.body.id, payment.id);
  assert.equal((await failure(shop.payments().withId({ ID: payment.id }).get())).statusCode, 404);

  // An anonymous shopper's payment through My Payments, then a signed-in customer's.
  const anonymous = shopper((builder, options) => builder.withAnonymousSessionFlow(options));
  const mine = (
    await anonymous
      .me()
      .payments()
      .post({ body: { amountPlanned: eur(1999), paymentMethodInfo: { method: 'CREDIT_CARD' } } })
      .execute()
  ).body;
  assert.ok(mine.anonymousId, 'the session names the payment');
  assert.equal(mine.createdAt, undefined, "a MyPayment shows the shopper's fields only");
  const changed = (
    await anonymous
      .me()
      .payments()
      .withId({ ID: mine.id })
      .post({ body: { version: mine.version, actions: [{ action: 'addTransaction', transaction: { type: 'Authorization', amount: eur(1999) } }] } })
      .execute()
  ).body;
  assert.equal(changed.transactions[0].state, 'Initial');
  const frozen = await failure(anonymous.me().payments().withId({ ID: mine.id }).delete({ queryArgs: { version: changed.version } }));
  assert.equal(frozen.body.errors[0].code, 'InvalidOperation');
  assert.equal((await anonymous.me().payments().get().execute()).body.results.length, 1);

  const email = `ts-${suffix}@example.com`;
  const customer = (await shop.customers().post({ body: { email, password: 's3cret' } }).execute()).body.customer;
  const signedIn = shopper((builder, options) =>
    builder.withPasswordFlow({ ...options, credentials: { clientId, clientSecret, user: { username: email, password: 's3cret' } } }),
  );
  const theirs = (await signedIn.me().payments().post({ body: { amountPlanned: eur(500) } }).execute()).body;
  assert.deepEqual(theirs.customer, { typeId: 'customer', id: customer.id });
  assert.equal((await failure(signedIn.me().payments().withId({ ID: mine.id }).get())).statusCode, 404, "another shopper's payment");
  console.log('the shop flow passed');
}

main().catch((error) => {
  console.error(error, error.body ? JSON.stringify(error.body) : '');
  process.exit(1);
});

//! The tables, as diesel sees them. Both backends have the same columns and portable types.

diesel::table! {
    payments (id) {
        id -> Text,
        project_key -> Text,
        version -> BigInt,
        key -> Nullable<Text>,
        interface_id -> Nullable<Text>,
        payment_interface -> Nullable<Text>,
        customer_id -> Nullable<Text>,
        created_at -> BigInt,
        last_modified_at -> BigInt,
        last_message_sequence_number -> BigInt,
        document -> Text,
        anonymous_id -> Nullable<Text>,
    }
}

diesel::table! {
    payment_transactions (payment_id, transaction_id) {
        payment_id -> Text,
        transaction_id -> Text,
        project_key -> Text,
        interaction_id -> Nullable<Text>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        project_key -> Text,
        resource_type_id -> Text,
        resource_id -> Text,
        sequence_number -> BigInt,
        resource_version -> BigInt,
        #[sql_name = "type"]
        message_type -> Text,
        created_at -> BigInt,
        document -> Text,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Text,
        project_key -> Text,
        name -> Text,
        scope -> Text,
        secret_hash -> Text,
        created_at -> BigInt,
        access_token_validity_seconds -> Nullable<BigInt>,
        refresh_token_validity_seconds -> Nullable<BigInt>,
        delete_at -> Nullable<BigInt>,
        last_used_at -> Nullable<Text>,
    }
}

diesel::table! {
    access_tokens (token_hash) {
        token_hash -> Text,
        client_id -> Text,
        scope -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        customer_id -> Nullable<Text>,
        anonymous_id -> Nullable<Text>,
        session_hash -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        client_id -> Text,
        scope -> Text,
        customer_id -> Nullable<Text>,
        anonymous_id -> Nullable<Text>,
        expires_at -> BigInt,
    }
}

diesel::table! {
    anonymous_sessions (project_key, anonymous_id) {
        project_key -> Text,
        anonymous_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    customer_passwords (customer_id) {
        customer_id -> Text,
        password_hash -> Text,
    }
}

diesel::table! {
    resources (id) {
        id -> Text,
        project_key -> Text,
        type_id -> Text,
        version -> BigInt,
        key -> Nullable<Text>,
        unique_value -> Nullable<Text>,
        created_at -> BigInt,
        last_modified_at -> BigInt,
        document -> Text,
        customer_number -> Nullable<Text>,
    }
}

diesel::table! {
    customer_references (customer_id, target_id) {
        customer_id -> Text,
        target_id -> Text,
    }
}

diesel::table! {
    payment_references (payment_id, target_id) {
        payment_id -> Text,
        target_id -> Text,
    }
}

diesel::table! {
    psp_operations (transaction_id) {
        transaction_id -> Text,
        payment_id -> Text,
        project_key -> Text,
        idempotency_key -> Text,
        done -> Bool,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        lease_until -> BigInt,
        created_at -> BigInt,
        pinned -> Nullable<Text>,
    }
}

diesel::table! {
    psp_objects (provider_account, object_id) {
        provider_account -> Text,
        object_id -> Text,
        project_key -> Text,
        payment_id -> Text,
        transaction_id -> Text,
    }
}

diesel::table! {
    psp_customer_generations (provider_account, project_key, customer_id) {
        provider_account -> Text,
        project_key -> Text,
        customer_id -> Text,
        generation -> BigInt,
    }
}

diesel::table! {
    psp_customers (provider_account, project_key, customer_id) {
        provider_account -> Text,
        project_key -> Text,
        customer_id -> Text,
        provider_customer_id -> Text,
    }
}

diesel::table! {
    psp_accounts (account_id) {
        account_id -> Text,
        project_key -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    psp_events (event_id) {
        event_id -> Text,
        project_key -> Text,
        event_type -> Text,
        payload -> Text,
        received_at -> BigInt,
        processed -> Bool,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
    }
}

diesel::table! {
    psp_releases (transaction_id) {
        transaction_id -> Text,
        project_key -> Text,
        payment_id -> Text,
        intent_id -> Text,
        account -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    payments,
    payment_transactions,
    messages,
    api_clients,
    access_tokens,
    refresh_tokens,
    anonymous_sessions,
    customer_passwords,
    resources,
    customer_references,
    payment_references,
    psp_operations,
    psp_objects,
    psp_customers,
    psp_customer_generations,
    psp_accounts,
    psp_events,
    psp_releases
);

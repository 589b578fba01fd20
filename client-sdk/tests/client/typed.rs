//! Typed handles: edits through the SDK, read back over REST.

use rocqet_client::rest::Client;
use rocqet_client::{
    ClientError, DocId, FieldPatch, FieldType, ModelPatch, PromptPatch, RelationKind,
    RelationPatch, Status, Variable,
};
use serde_json::{Map, json};

use crate::support::{TestServer, within};

async fn new_model(client: &Client) -> DocId {
    client
        .models()
        .create("acme", &ModelPatch::new().name("User"))
        .await
        .expect("create model")
        .id
}

#[tokio::test]
async fn prompt_edits_round_trip_through_rest() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let created = ada
        .prompts()
        .create(
            "acme",
            &PromptPatch::new().title("Greeter").content("Hi {{name}}"),
        )
        .await
        .expect("create");
    let prompt = within(ada.open_prompt(&created.id)).await.expect("open");
    assert_eq!(prompt.content(), "Hi {{name}}");
    assert_eq!(prompt.snapshot(), created.content, "live and REST agree");

    prompt
        .set_content("Hello {{name}}, from {{place}}.")
        .expect("content");
    prompt.insert(0, ">> ");
    prompt.delete(0, 1);
    prompt.set_title("Welcome").expect("title");
    prompt
        .set_description("Greets people")
        .expect("description");
    prompt.set_tags(["onboarding", "email"]).expect("tags");
    prompt
        .set_setting("temperature", json!(0.2))
        .expect("setting");
    prompt
        .set_setting("model", json!("small"))
        .expect("setting");
    prompt
        .set_setting("model", json!(null))
        .expect("remove setting");
    prompt
        .set_variable(Variable {
            name: "place".into(),
            description: "Where from".into(),
            default: Some("Rocqet".into()),
            required: false,
        })
        .expect("variable");
    prompt
        .set_variable(Variable {
            name: "unused".into(),
            description: String::new(),
            default: None,
            required: true,
        })
        .expect("variable");
    prompt.remove_variable("unused").expect("remove variable");
    within(prompt.wait_status(Status::Saved))
        .await
        .expect("saved");

    let stored = ada.prompts().get(&created.id).await.expect("read");
    let content = &stored.content;
    assert_eq!(content.content, "> Hello {{name}}, from {{place}}.");
    assert_eq!(content.title, "Welcome");
    assert_eq!(content.description, "Greets people");
    assert_eq!(content.tags, ["onboarding", "email"]);
    assert_eq!(
        content.settings,
        Map::from_iter([("temperature".into(), json!(0.2))])
    );
    let names: Vec<_> = content.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["name", "place"]);
    assert_eq!(content.variables[1].default.as_deref(), Some("Rocqet"));
    assert!(!content.variables[1].required);
    assert_eq!(prompt.snapshot(), stored.content);

    let values = Map::from_iter([("name".into(), json!("Ada"))]);
    assert_eq!(prompt.render(&values).text, "> Hello Ada, from Rocqet.");
}

#[tokio::test]
async fn a_rest_patch_reaches_an_open_prompt() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = crate::support::prompt(&ada, "acme", "one").await;
    let prompt = within(ada.open_prompt(&id)).await.expect("open");
    ada.prompts()
        .patch(&id, &PromptPatch::new().content("one two"))
        .await
        .expect("patch");
    let seen = within(prompt.wait_for(|p| p.content == "one two"))
        .await
        .expect("seen");
    assert_eq!(seen.title, "t");
}

#[tokio::test]
async fn model_fields_and_relations_round_trip_through_rest() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = new_model(&ada).await;
    let target = new_model(&ada).await;
    let model = within(ada.open_model(&id)).await.expect("open");

    let email = model
        .add_field(FieldPatch::new("email", FieldType::String).unique(true))
        .expect("email");
    let age = model
        .add_field(FieldPatch::new("age", FieldType::Integer).default_value(json!(18)))
        .expect("age");
    let plan = model
        .add_field(FieldPatch::new("plan", FieldType::Enum).enum_values(["free", "pro"]))
        .expect("plan");
    let tmp = model
        .add_field(FieldPatch::new("tmp", FieldType::Json))
        .expect("tmp");
    model
        .update_field(
            &email,
            FieldPatch::change().required(true).description("Login"),
        )
        .expect("update");
    model.move_field(&plan, 0).expect("move");
    model.remove_field(&tmp).expect("remove");
    let orders = model
        .add_relation(RelationPatch::new(
            "orders",
            RelationKind::OneToMany,
            target.as_str(),
        ))
        .expect("relation");
    model
        .update_relation(
            &orders,
            RelationPatch::change().kind(RelationKind::ManyToMany),
        )
        .expect("update relation");
    model
        .set_description("People who sign in")
        .expect("description");
    within(model.wait_status(Status::Saved))
        .await
        .expect("saved");

    let stored = ada.models().get(&id).await.expect("read");
    let content = &stored.content;
    let order: Vec<_> = content.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(order, [plan.as_str(), email.as_str(), age.as_str()]);
    let email_field = content.field_named("email").expect("email");
    assert!(email_field.required && email_field.unique);
    assert_eq!(email_field.description, "Login");
    assert_eq!(content.field_named("age").expect("age").default, json!(18));
    assert_eq!(
        content.field_named("plan").expect("plan").enum_values,
        ["free", "pro"]
    );
    let relation = content.relation_named("orders").expect("orders");
    assert_eq!(relation.id, orders);
    assert_eq!(relation.kind, RelationKind::ManyToMany);
    assert_eq!(relation.target, target.as_str());
    assert_eq!(content.description, "People who sign in");
    assert_eq!(model.snapshot(), stored.content, "live and REST agree");
}

#[tokio::test]
async fn invalid_typed_edits_change_nothing() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = new_model(&ada).await;
    let model = within(ada.open_model(&id)).await.expect("open");
    model
        .add_field(FieldPatch::new("email", FieldType::String))
        .expect("email");
    let before = model.snapshot();

    let duplicate = model.add_field(FieldPatch::new("email", FieldType::Text));
    assert!(
        matches!(duplicate, Err(ClientError::Invalid(_))),
        "{duplicate:?}"
    );
    let nameless = model.add_field(FieldPatch::change().required(true));
    assert!(
        matches!(nameless, Err(ClientError::Invalid(_))),
        "{nameless:?}"
    );
    let missing = model.update_field("nope", FieldPatch::change().required(true));
    assert!(
        matches!(missing, Err(ClientError::Invalid(_))),
        "{missing:?}"
    );
    assert_eq!(model.snapshot(), before);

    let pid = crate::support::prompt(&ada, "acme", "x").await;
    let prompt = within(ada.open_prompt(&pid)).await.expect("open");
    let bad = prompt.set_variable(Variable {
        name: "not a name".into(),
        description: String::new(),
        default: None,
        required: true,
    });
    let Err(ClientError::Invalid(fields)) = bad else {
        panic!("expected a schema error, got {bad:?}");
    };
    assert!(fields[0].field.starts_with("variables"), "{fields:?}");
}

#[tokio::test]
async fn two_editors_adding_fields_at_once_keep_both() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = new_model(&ada).await;
    let one = within(ada.open_model(&id)).await.expect("one");
    let two = within(ada.open_model(&id)).await.expect("two");
    for i in 0..5 {
        one.add_field(FieldPatch::new(format!("a{i}"), FieldType::String))
            .expect("a");
        two.add_field(FieldPatch::new(format!("b{i}"), FieldType::Text))
            .expect("b");
    }
    within(one.wait_for(|m| m.fields.len() == 10))
        .await
        .expect("one sees all");
    within(two.wait_for(|m| m.fields.len() == 10))
        .await
        .expect("two sees all");
    within(one.wait_status(Status::Saved)).await.expect("saved");
    within(two.wait_status(Status::Saved)).await.expect("saved");
    assert_eq!(one.snapshot(), two.snapshot());
    let stored = ada.models().get(&id).await.expect("read");
    assert_eq!(stored.content, one.snapshot());
}

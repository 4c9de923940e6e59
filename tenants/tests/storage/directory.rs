//! Users of one tenant: create, read, list, search, update, delete.

use std::collections::HashSet;

use crate::support::*;

both_backends! {
    async fn a_created_user_reads_back_with_every_field_at_version_one(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;

        let created = acme
            .users()
            .create(NewUser {
                user_name: "Ada.Lovelace".into(),
                external_id: Some("hr-1815".into()),
                email: Some("ada@example.com".into()),
                display_name: Some("Ada Lovelace".into()),
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                active: true,
                ..NewUser::default()
            })
            .await
            .unwrap();
        assert_eq!(created.user_name, "Ada.Lovelace", "the user name keeps its case");
        assert_eq!(created.version, 1);

        let read = acme.users().get(created.id).await.unwrap();
        assert_eq!(read, created);
        assert!(audit_actions(&acme).await.contains(&"user.create".to_owned()));
    }

    async fn listing_users_pages_through_all_of_them_without_duplicates_or_gaps(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let mut created = Vec::new();
        for i in 0..7 {
            created.push(create_user(&acme, &format!("user-{i}")).await.id);
        }

        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let request = PageRequest::parse(Some(3), cursor.as_deref()).unwrap();
            let page = acme.users().list(UserQuery::default(), request).await.unwrap();
            pages.push(page.items.iter().map(|u| u.id).collect::<Vec<_>>());
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }

        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 3, 1]);
        let listed: Vec<UserId> = pages.concat();
        assert_eq!(listed, created, "every user once, in creation order");
        assert_eq!(listed.iter().collect::<HashSet<_>>().len(), listed.len());
    }

    async fn a_full_last_page_has_no_next_cursor(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        for i in 0..2 {
            create_user(&acme, &format!("user-{i}")).await;
        }

        let page = acme.users().list(UserQuery::default(), PageRequest::first(2)).await.unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_cursor, None);
    }

    async fn searching_users_matches_the_start_of_user_name_email_and_names_ignoring_case(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        for user in [
            NewUser {
                user_name: "Ada.Lovelace".into(),
                email: Some("ada@analytical.example".into()),
                ..new_user("")
            },
            NewUser {
                user_name: "grace".into(),
                email: Some("Grace.Hopper@NAVY.example".into()),
                ..new_user("")
            },
            NewUser {
                user_name: "kj".into(),
                given_name: Some("Katherine".into()),
                family_name: Some("Johnson".into()),
                ..new_user("")
            },
        ] {
            acme.users().create(user).await.unwrap();
        }

        assert_eq!(user_names(&acme, "ADA.L").await, ["Ada.Lovelace"], "by user name");
        assert_eq!(user_names(&acme, "grace.HOPPER@").await, ["grace"], "by email");
        assert_eq!(user_names(&acme, "kATH").await, ["kj"], "by given name");
        assert_eq!(user_names(&acme, "johns").await, ["kj"], "by family name");
        assert_eq!(user_names(&acme, "ada").await, ["Ada.Lovelace"], "user name and email match once");
        assert!(user_names(&acme, "lovelace").await.is_empty(), "the middle of a field is no prefix");
        assert!(user_names(&acme, "nobody").await.is_empty());
    }

    async fn a_search_pages_through_every_match_once_in_creation_order(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let mut expected = Vec::new();
        for i in 0..9 {
            // Matches by user name, by email or by family name, interleaved.
            let user = match i % 3 {
                0 => NewUser { user_name: format!("ann-{i}"), ..new_user("") },
                1 => NewUser { user_name: format!("u{i}"), email: Some(format!("ann{i}@example.com")), ..new_user("") },
                _ => NewUser { user_name: format!("v{i}"), family_name: Some("Annan".into()), ..new_user("") },
            };
            expected.push(acme.users().create(user).await.unwrap().id);
            create_user(&acme, &format!("bob-{i}")).await;
        }
        let query = UserQuery { search: Some("ANN".into()), ..UserQuery::default() };
        let found: Vec<_> = all_users(&acme, query, 2).await.into_iter().map(|u| u.id).collect();
        assert_eq!(found, expected);
    }

    async fn search_wildcards_are_matched_literally(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        create_user(&acme, "ada").await;
        create_user(&acme, "under_score").await;

        assert!(user_names(&acme, "%").await.is_empty());
        assert!(user_names(&acme, "_").await.is_empty());
        assert!(user_names(&acme, "und%").await.is_empty());
        assert_eq!(user_names(&acme, "under_").await, ["under_score"]);
    }

    async fn an_update_applies_the_patch_and_bumps_the_version(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = acme
            .users()
            .create(NewUser { email: Some("ada@example.com".into()), ..new_user("ada") })
            .await
            .unwrap();

        let patch = UserPatch {
            display_name: Some(Some("Ada L.".into())),
            email: Some(None),
            active: Some(false),
            ..UserPatch::default()
        };
        let updated = acme.users().update(ada.id, patch, Some(1)).await.unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.display_name.as_deref(), Some("Ada L."));
        assert_eq!(updated.email, None, "Some(None) clears a field");
        assert!(!updated.active);
        assert_eq!(updated.user_name, "ada", "fields not in the patch stay");
        assert_eq!(acme.users().get(ada.id).await.unwrap(), updated);
    }

    async fn an_update_with_a_stale_if_match_is_refused_and_changes_nothing(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada").await;

        let patch = UserPatch {
            display_name: Some(Some("Changed".into())),
            ..UserPatch::default()
        };
        let stale = acme.users().update(ada.id, patch, Some(ada.version + 1)).await;

        assert_err!(stale, Error::VersionMismatch { current: 1 });
        assert_eq!(acme.users().get(ada.id).await.unwrap(), ada);
        assert!(!audit_actions(&acme).await.contains(&"user.update".to_owned()));
    }

    async fn a_user_name_taken_in_another_case_is_refused_and_nothing_is_stored(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "Ada").await;

        let duplicate = acme.users().create(new_user("aDA")).await;

        assert_err!(duplicate, Error::Conflict { code: "user-name-taken", .. });
        let all = all_users(&acme, UserQuery::default(), 50).await;
        assert_eq!(all, [ada]);
        let creates = audit_actions(&acme).await.into_iter().filter(|a| a == "user.create").count();
        assert_eq!(creates, 1);
    }

    async fn renaming_a_user_to_a_taken_name_is_refused_and_changes_nothing(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        create_user(&acme, "ada").await;
        let grace = create_user(&acme, "grace").await;

        let patch = UserPatch { user_name: Some("ADA".into()), ..UserPatch::default() };
        let renamed = acme.users().update(grace.id, patch, None).await;

        assert_err!(renamed, Error::Conflict { code: "user-name-taken", .. });
        assert_eq!(acme.users().get(grace.id).await.unwrap(), grace);
    }

    async fn deleting_a_user_removes_the_user_and_their_memberships(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada").await;
        let grace = create_user(&acme, "grace").await;
        let engineers = create_group(&acme, "Engineers").await;
        let admins = create_group(&acme, "Admins").await;
        for group in [&engineers, &admins] {
            acme.groups().add_member(group.id, ada.id).await.unwrap();
        }
        acme.groups().add_member(engineers.id, grace.id).await.unwrap();

        acme.users().delete(ada.id, Some(ada.version)).await.unwrap();

        assert_err!(acme.users().get(ada.id).await, Error::NotFound(Resource::User));
        assert_eq!(member_ids(&acme, engineers.id).await, [grace.id]);
        assert!(member_ids(&acme, admins.id).await.is_empty());
        assert_err!(
            acme.users().delete(ada.id, None).await,
            Error::NotFound(Resource::User)
        );
    }

    async fn deleting_a_user_with_a_stale_if_match_is_refused(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada").await;

        assert_err!(
            acme.users().delete(ada.id, Some(7)).await,
            Error::VersionMismatch { current: 1 }
        );
        assert_eq!(acme.users().get(ada.id).await.unwrap(), ada);
    }
}

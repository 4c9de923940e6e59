//! Groups of one tenant and who is in them.

use crate::support::*;

both_backends! {
    async fn adding_a_member_twice_keeps_one_membership(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada").await;
        let engineers = create_group(&acme, "Engineers").await;

        let first = acme.groups().add_member(engineers.id, ada.id).await.unwrap();
        let second = acme.groups().add_member(engineers.id, ada.id).await.unwrap();

        assert!(first, "the first add adds");
        assert!(!second, "the second add reports that nothing changed");
        assert_eq!(member_ids(&acme, engineers.id).await, [ada.id]);
        let adds = audit_actions(&acme)
            .await
            .into_iter()
            .filter(|a| a == "group.member.add")
            .count();
        assert_eq!(adds, 1, "only a real change is audited");
    }

    async fn listing_members_returns_the_groups_users_in_pages(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let engineers = create_group(&acme, "Engineers").await;
        let outsider = create_user(&acme, "outsider").await;
        let mut members = Vec::new();
        for name in ["ada", "grace", "katherine"] {
            let user = create_user(&acme, name).await;
            acme.groups().add_member(engineers.id, user.id).await.unwrap();
            members.push(user);
        }

        let first = acme.groups().members(engineers.id, PageRequest::first(2)).await.unwrap();
        let cursor = first.next_cursor.clone().expect("a second page");
        let rest = acme
            .groups()
            .members(engineers.id, PageRequest::parse(Some(2), Some(&cursor)).unwrap())
            .await
            .unwrap();

        assert_eq!(rest.next_cursor, None);
        let listed: Vec<User> =
            first.items.into_iter().chain(rest.items).map(|m| m.user).collect();
        assert_eq!(listed, members);
        assert!(!listed.contains(&outsider));
    }

    async fn removing_a_member_takes_only_that_user_out_of_the_group(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada").await;
        let grace = create_user(&acme, "grace").await;
        let engineers = create_group(&acme, "Engineers").await;
        for user in [&ada, &grace] {
            acme.groups().add_member(engineers.id, user.id).await.unwrap();
        }

        acme.groups().remove_member(engineers.id, ada.id).await.unwrap();

        assert_eq!(member_ids(&acme, engineers.id).await, [grace.id]);
        assert_eq!(acme.users().get(ada.id).await.unwrap(), ada, "the user stays");
        assert_err!(
            acme.groups().remove_member(engineers.id, ada.id).await,
            Error::NotFound(Resource::Member)
        );
    }

    async fn a_missing_user_cannot_be_added_to_a_group(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let engineers = create_group(&acme, "Engineers").await;

        assert_err!(
            acme.groups().add_member(engineers.id, UserId(uuid::Uuid::now_v7())).await,
            Error::NotFound(Resource::User)
        );
        assert!(member_ids(&acme, engineers.id).await.is_empty());
    }

    async fn deleting_a_group_removes_it_and_its_memberships_but_not_its_users(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let ada = create_user(&acme, "ada").await;
        let engineers = create_group(&acme, "Engineers").await;
        let admins = create_group(&acme, "Admins").await;
        for group in [&engineers, &admins] {
            acme.groups().add_member(group.id, ada.id).await.unwrap();
        }

        // Adding a member changed the group: its version moved on.
        let current = acme.groups().get(engineers.id).await.unwrap();
        assert_eq!(current.version, engineers.version + 1);
        acme.groups().delete(engineers.id, Some(current.version)).await.unwrap();

        assert_err!(acme.groups().get(engineers.id).await, Error::NotFound(Resource::Group));
        assert_err!(
            acme.groups().members(engineers.id, PageRequest::first(10)).await,
            Error::NotFound(Resource::Group)
        );
        let groups = acme.groups().list(None, PageRequest::first(10)).await.unwrap().items;
        let ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
        assert_eq!(ids, [admins.id]);
        assert_eq!(member_ids(&acme, admins.id).await, [ada.id]);
        assert_eq!(acme.users().get(ada.id).await.unwrap(), ada);
    }

    async fn a_group_name_taken_in_another_case_is_refused(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let engineers = create_group(&acme, "Engineers").await;

        assert_err!(
            acme.groups().create("ENGINEERS", None).await,
            Error::Conflict { code: "group-name-taken", .. }
        );
        let groups = acme.groups().list(None, PageRequest::first(10)).await.unwrap().items;
        assert_eq!(groups, [engineers]);
    }
}

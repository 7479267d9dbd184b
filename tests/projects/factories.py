"""Factories for projects, memberships and calls (reused by the apps built on projects).

``ProjectFactory`` makes its ``created_by`` the project's director, as the service does;
pass ``director=False`` to skip that. Every factory bumps the "projects changed" version,
so cached lists show what a test made.
"""

from __future__ import annotations

from typing import Any

import factory
from django.utils.text import slugify

from accounts.models import Medium
from hitrecord.markdown import render_markdown
from projects.models import Call, Membership, Project
from projects.services import projects_changed
from tests.accounts.factories import UserFactory


class _BumpsVersion(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super()._create(model_class, *args, **kwargs)
        # as the services do: every project list, the project's page, the person's profile
        project = instance if isinstance(instance, Project) else instance.project
        people = [instance.user_id] if isinstance(instance, Membership) else []
        projects_changed(project.pk, people=people)
        return instance


class ProjectFactory(_BumpsVersion):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Project number {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    brief = "We make a short film together. **Everyone** is welcome."
    brief_html = factory.LazyAttribute(lambda o: render_markdown(o.brief))
    mediums = factory.LazyFunction(lambda: [Medium.TEXT.value, Medium.AUDIO.value])
    status = Project.Status.OPEN
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def director(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            Membership.objects.create(
                project=self, user=self.created_by, role=Membership.Role.DIRECTOR
            )


class MembershipFactory(_BumpsVersion):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class CallFactory(_BumpsVersion):
    class Meta:
        model = Call

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"We need part {n}")
    description = "A short part, in any style."
    medium = Medium.AUDIO.value
    good_first = False
    is_open = True

"""REST API: charger model profiles read, exported as a document and imported from one."""

import pytest

from chargers.profiles.models import ChargerModel
from portal.services import api_key_create
from tests.chargers.test_profiles import load_inch
from tests.factories import OperatorFactory, token_client

pytestmark = pytest.mark.django_db

LIST = "/api/v1/charger-models/"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def test_profiles_are_listed_with_their_firmware_versions(operator):
    inch = load_inch()

    listed = operator.get(f"{LIST}?vendor=ETREL").json()

    (profile,) = listed["results"]
    assert (profile["id"], profile["vendor"], profile["model"]) == (inch.pk, "ETREL", "INCH")
    assert profile["firmware_versions"] == [f.version for f in inch.firmware_versions.all()]
    assert operator.get(f"{LIST}{inch.pk}/").json() == profile


def test_an_exported_profile_imports_into_a_fresh_installation_as_it_was(operator):
    inch = load_inch()
    document = operator.get(f"{LIST}{inch.pk}/export/").json()
    assert (document["format"], document["vendor"], document["model"]) == ("charger-model", "ETREL", "INCH")
    assert "id" not in document
    ChargerModel.objects.all().delete()

    response = operator.post(f"{LIST}import/", {"document": document}, format="json")

    assert response.status_code == 201, response.content
    imported = response.json()
    assert operator.get(f"{LIST}{imported['id']}/export/").json() == document


def test_importing_a_profile_that_exists_is_refused_unless_replace_is_asked(operator):
    inch = load_inch()
    document = operator.get(f"{LIST}{inch.pk}/export/").json() | {"notes": "second edition"}

    refused = operator.post(f"{LIST}import/", {"document": document}, format="json")
    replaced = operator.post(f"{LIST}import/", {"document": document, "replace": True}, format="json")

    assert refused.status_code == 400
    assert "exists already" in refused.json()["model"][0]
    assert replaced.status_code == 201
    assert ChargerModel.objects.get(vendor="ETREL", model="INCH").notes == "second edition"


def test_a_bad_document_names_every_field_at_fault_and_saves_nothing(operator):
    document = {"vendor": "Acme", "model": "X", "status": "nonsense", "connectors": [{"max_power_kw": "fast"}]}

    response = operator.post(f"{LIST}import/", {"document": document}, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert "status" in errors
    assert any(key.startswith("connectors[0].") for key in errors), errors
    assert not ChargerModel.objects.filter(vendor="Acme").exists()
    assert operator.post(f"{LIST}import/", {"document": "text"}, format="json").json() == {
        "document": ['Expected a dictionary of items but got type "str".']
    }


def test_importing_takes_the_admin_scope():
    _, key = api_key_create(user=OperatorFactory(), name="reader", scopes=["read"])
    reader = token_client()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert reader.get(LIST).status_code == 200
    assert reader.post(f"{LIST}import/", {"document": {}}, format="json").status_code == 403


def test_a_document_with_a_null_character_is_a_400_not_a_database_error(operator):
    document = {"vendor": "Acme\x00", "model": "X", "connectors": [{"connector_type": "Type 2\x00"}]}

    response = operator.post(f"{LIST}import/", {"document": document}, format="json")

    assert response.status_code == 400
    assert response.json() == {"document": ["Null characters are not allowed."]}

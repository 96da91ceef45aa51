"""A store that stops answering mid-session gives a clean 503, even where the page itself
(the signed-in staff member, the error template) would need that store."""

from surveys.extensions import db


def test_the_dashboard_says_503_with_retry_after_when_the_identity_store_is_gone(app, analyst):
    assert analyst.get("/dashboard/").status_code == 200
    with app.app_context():
        db.drop_all(bind_key="identity")  # as good as a store that stopped answering
    page = analyst.get("/dashboard/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    text = page.get_data(as_text=True)
    assert "We are busy for a moment" in text and "Traceback" not in text


def test_a_shopper_gets_503_when_the_answers_store_is_gone(app, client):
    with app.app_context():
        db.drop_all(bind_key="answers")
    page = client.get("/surveys/about-you")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"

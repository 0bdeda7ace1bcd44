"""The labeling interface in a real headless Chromium (Debian's chromium + chromedriver)."""

from pathlib import Path

import pytest
from fixtures import ARTICLE, DOC

from frontline import labelstudio, studio
from frontline.documents import to_result
from frontline.scheme import load_scheme

pytestmark = pytest.mark.studio
SCREENSHOTS = Path(__file__).resolve().parents[1] / ".frontline" / "screenshots"


@pytest.fixture()
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1600,1200"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def test_labeling_interface_shows_text_and_every_label(browser, ls, studio_server, repo):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    scheme = load_scheme(repo.scheme)
    report = labelstudio.push(ls, [ARTICLE], scheme, title="browser", progress=False,
                              predict=lambda a: ("fixture", to_result(DOC)))
    (task_id,) = [t.id for t in ls.tasks.list(project=report.project_id)]
    creds = studio.credentials(studio_server.state, env={})

    wait = WebDriverWait(browser, 120)
    browser.get(f"{studio_server.url}/user/login/")
    wait.until(EC.presence_of_element_located((By.NAME, "email"))).send_keys(creds.username)
    browser.find_element(By.NAME, "password").send_keys(creds.password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait.until(lambda d: "/user/login" not in d.current_url)
    browser.get(f"{studio_server.url}/projects/{report.project_id}/data?task={task_id}")
    wait.until(lambda d: ARTICLE.text[:20] in d.find_element(By.TAG_NAME, "body").text)
    body = browser.find_element(By.TAG_NAME, "body").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "labeling-interface.png"))
    assert ARTICLE.text.split(".")[0] in body
    missing = [name for name in scheme.entity_names if name not in body]
    assert missing == [], f"entity labels not shown: {missing}"

    # relation labels: open the Relations panel, show a relation's labels, open its selector
    (tab,) = [t for t in browser.find_elements(By.CSS_SELECTOR, ".lsf-panel-tabs__tab")
              if t.text.strip() == "Relations"]
    tab.click()
    item = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-relations__item")))
    ActionChains(browser).move_to_element(item).perform()
    item.find_element(By.CSS_SELECTOR, "button[aria-label='Show Relation Labels']").click()
    meta = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-relation-meta")))
    meta.find_element(By.CSS_SELECTOR, "[class*=selectTrigger]").click()
    options = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role=option]"))
    assert [o.text for o in options] == scheme.relation_names
    browser.save_screenshot(str(SCREENSHOTS / "relation-labels.png"))

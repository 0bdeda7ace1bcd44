"""Pins the sentence count of every article (see frontline.core.text)."""

import pytest

from frontline.core.articles import load_articles
from frontline.core.text import parse, sentence_spans

# Generated once from the pinned pipeline, then reviewed: a change here means the
# sentence splitter changed, which moves every sentence-level row of the dataset. Dataset
# 1.2 keeps a quotation that ends in !" or ?" before a lower-case word inside its sentence:
# three articles lost one sentence each (civil-unrest-in-iranian-cities 27 -> 26,
# general-petraeus 39 -> 38, polish-pm-beata-szydlo 36 -> 35).
SENTENCES = {
    "000_2deeeecf94034bb2": 16,
    "wikinews-2004-11-18-chinese-submarine-enters-japanese-waters": 19,
    "wikinews-2004-12-04-mst-attack-in-rondonia-kills-one-man": 16,
    "wikinews-2005-08-05-four-israeli-arabs-killed-by-army-deserter": 29,
    "wikinews-2006-02-12-newspaper-alleges-u-s-drawing-up-plans-to-attack-iran": 13,
    "wikinews-2007-11-28-statement-of-joint-understanding-released-after-annapolis": 23,
    "wikinews-2007-12-31-grandfather-held-in-guantanamo-dies-of-cancer": 40,
    "wikinews-2008-01-06-bush-urges-us-allies-in-middle-east-to-support-israeli": 24,
    "wikinews-2008-02-02-scores-killed-in-twin-baghdad-marketplace-attacks": 25,
    "wikinews-2008-02-07-kenyan-humanitarian-crisis-deepens-as-talks-continue": 26,
    "wikinews-2008-02-14-six-dead-in-campus-shooting-at-northern-illinois-university": 34,
    "wikinews-2008-02-28-kenyan-government-and-opposition-agree-on-power-sharing": 32,
    "wikinews-2008-03-19-george-bush-discusses-iraq-5-years-after-invasion": 35,
    "wikinews-2008-03-20-un-military-attacks-on-darfur-violated-international-law": 44,
    "wikinews-2008-03-23-cheney-meets-with-israeli-and-palestinian-leaders": 18,
    "wikinews-2008-03-26-african-troops-invade-rebel-held-island-of-anjouan": 34,
    "wikinews-2008-03-27-iraqi-forces-battle-militants-in-basra-for-second-day": 31,
    "wikinews-2008-03-29-u-s-launches-airstrikes-against-basra-militants": 24,
    "wikinews-2008-04-02-two-un-contract-workers-kidnapped-in-somalia": 25,
    "wikinews-2008-07-04-ingrid-betancourt-returns-to-france": 26,
    "wikinews-2008-08-17-merkel-georgia-will-join-nato": 21,
    "wikinews-2008-08-30-south-ossetia-says-it-will-join-north-ossetia-alania-as-a": 21,
    "wikinews-2008-11-20-negotiations-for-hijacked-saudi-oil-tanker-begin": 34,
    "wikinews-2008-12-23-hamas-ends-truce-with-israel": 32,
    "wikinews-2009-01-11-waves-of-arrests-in-turkey-on-suspicion-of-involvement-in": 41,
    "wikinews-2009-01-18-israel-announces-ceasefire-in-gaza-strip-rocket-fire-into": 19,
    "wikinews-2009-05-11-rights-group-in-afghanistan-investigating-claim-of-us-use": 23,
    "wikinews-2009-06-14-civil-unrest-in-iranian-cities-after-ahmadinejad-declares": 26,
    "wikinews-2009-10-10-former-un-head-annan-warns-kenya-over-future-poll-violence": 23,
    "wikinews-2009-10-22-shelling-in-somalia-s-capital-kills-twenty": 28,
    "wikinews-2009-10-25-car-bombings-near-iraq-government-offices-kill-at-least-130": 26,
    "wikinews-2009-11-17-rebels-say-626-ethiopian-troops-killed-in-clashes": 32,
    "wikinews-2009-12-03-at-least-fifteen-killed-after-suicide-bombing-in-somali": 38,
    "wikinews-2009-12-04-israel-illegally-annexing-east-jerusalem-eu-reports": 19,
    "wikinews-2009-12-27-nigerian-man-charged-with-trying-to-blow-up-airliner": 30,
    "wikinews-2009-12-30-airline-bombing-suspect-spent-months-in-yemen": 23,
    "wikinews-2010-01-04-us-uk-embassies-in-yemen-close-due-to-al-qaeda-threat": 29,
    "wikinews-2010-01-05-suicide-bomber-at-us-base-in-afghanistan-was-al-qaeda": 27,
    "wikinews-2010-01-30-at-least-twelve-die-in-mogadishu-attacks": 56,
    "wikinews-2010-02-10-uk-loses-appeal-to-conceal-binyam-mohamed-torture": 21,
    "wikinews-2010-02-23-general-petraeus-fight-for-afghan-town-marja-is-just-the": 38,
    "wikinews-2010-04-04-30-dead-in-baghdad-bomb-blasts-hundreds-of-people-injured": 24,
    "wikinews-2010-05-24-us-and-south-korea-to-conduct-naval-exercises-in-response": 26,
    "wikinews-2010-08-07-revenge-killings-follow-shooting-of-karachi-politician": 25,
    "wikinews-2010-10-10-baghdad-judge-clears-pair-of-murdering-six-foreign-soldiers": 27,
    "wikinews-2011-01-28-egypt-anti-government-protests-continue-internet-shut-down": 24,
    "wikinews-2011-02-01-egypt-protests-army-say-they-will-not-use-force-on": 32,
    "wikinews-2011-04-21-france-italy-uk-sending-military-advisers-to-libya": 32,
    "wikinews-2011-05-03-world-leaders-react-to-death-of-osama-bin-laden": 26,
    "wikinews-2011-06-22-un-report-says-80-per-cent-of-world-s-refugees-live-in-poor": 20,
    "wikinews-2011-08-22-libya-rebels-edge-closer-to-tripoli": 24,
    "wikinews-2011-08-23-pakistan-government-must-investigate-killings-and": 22,
    "wikinews-2012-02-15-opposition-calls-for-mass-protests-in-bahrain": 25,
    "wikinews-2012-04-19-china-un-rebuke-north-korea-for-rocket-launch": 22,
    "wikinews-2012-05-23-lockerbie-convict-abdelbaset-ali-al-megrahi-buried-after": 25,
    "wikinews-2012-06-25-eu-condemns-syria-for-shootdown-urges-turkish-restraint": 20,
    "wikinews-2013-11-25-iran-to-reduce-nuclear-enrichment-in-exchange-for-sanctions": 25,
    "wikinews-2014-06-05-hunger-games-salute-used-to-protest-coup-d-etat-in-thailand": 40,
    "wikinews-2014-07-22-thirteen-israeli-soldiers-scores-of-palestinians-killed-in": 19,
    "wikinews-2014-08-18-kurdish-forces-advance-as-international-opposition-to": 22,
    "wikinews-2015-01-12-millions-march-in-france-and-around-the-world-in-support-of": 11,
    "wikinews-2015-08-21-north-korea-puts-military-in-quasi-state-of-war": 15,
    "wikinews-2016-03-22-explosions-at-brussels-airport-and-subway-systems": 30,
    "wikinews-2017-01-16-polish-pm-beata-szydlo-welcomes-us-troops": 35,
    "wikinews-2017-01-26-official-death-toll-from-nigerian-refugee-camp-airstrike": 38,
    "wikinews-2017-02-11-yemen-requests-reevaluation-of-u-s-ground-operations-on-its": 26,
    "wikinews-2018-03-14-state-of-emergency-in-sri-lanka-remains-despite-calm": 33,
    "wikinews-2018-06-17-un-releases-first-ever-human-rights-report-on-kashmir": 33,
    "wikinews-2019-01-23-germany-bans-mahan-air-of-iran-citing-security": 19,
    "wikinews-2019-01-24-car-bomb-ramming-attack-kills-dozens-at-military-base-in": 19,
    "wikinews-2019-01-28-bombs-kill-at-least-20-at-cathedral-in-mindanao-philippines": 24,
    "wikinews-2019-03-17-new-zealand-mosque-murder-suspect-appears-in-court-at": 19,
    "wikinews-2019-07-08-tunisian-prime-minister-signs-decree-to-ban-face-veils-in": 16,
    "wikinews-2019-08-08-gunman-opens-fire-in-el-paso-texas-superstore-more-than-20": 23,
    "wikinews-2019-09-15-oil-facilities-in-saudi-arabia-hit-by-drone-attacks": 19,
    "wikinews-2019-09-17-us-president-trump-says-osama-bin-laden-s-son-killed": 15,
    "wikinews-2019-09-23-iran-s-president-rouhani-tells-foreign-powers-to-leave": 15,
    "wikinews-2019-10-02-police-shoot-teenage-protester-as-hong-kong-demonstrations": 19,
    "wikinews-2019-10-08-us-president-trump-announces-troop-withdrawal-from-syria": 42,
    "wikinews-2019-10-15-kurds-announce-deal-with-assad-s-government-as-turkey": 16,
    "wikinews-2019-11-10-coalition-authorities-report-no-casualties-from-missile": 18,
    "wikinews-2019-12-02-bystanders-foil-knife-weilding-man-on-london-bridge-with": 29,
    "wikinews-2020-01-05-united-states-military-kills-qasem-soleimani": 31,
    "wikinews-2020-01-11-cairo-summit-denounces-turkish-libyan-maritime-border": 23,
    "wikinews-2020-02-05-police-shoot-man-dead-after-terrorist-related-knife-attack": 23,
    "wikinews-2020-11-22-suspect-in-kenosha-wisconsin-protester-killings-released": 16,
}


def test_every_article_is_pinned(repo):
    assert sorted(a.id for a in load_articles(repo.seeds)) == sorted(SENTENCES)


@pytest.mark.parametrize("article_id", sorted(SENTENCES))
def test_sentence_count(repo, article_id):
    text = (repo.seeds / "texts" / f"{article_id}.txt").read_text(encoding="utf-8")
    assert len(sentence_spans(parse(text))) == SENTENCES[article_id]

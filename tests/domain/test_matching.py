from csmdesk.domain.matching import rank, score

NAMES = [
    (1, "Acme Robotics"),
    (2, "Bluefin Analytics"),
    (3, "Cobalt Health"),
    (4, "Northwind Traders"),
    (5, "Acorn Dental"),
]


def test_prefix_beats_word_start_beats_substring() -> None:
    assert score("acme", "Acme Robotics") == 0
    assert score("rob", "Acme Robotics") == 1
    assert score("ar", "Acme Robotics") == 2  # initials
    assert score("botic", "Acme Robotics") == 3
    assert score("zzz", "Acme Robotics") is None


def test_rank_orders_best_first_and_respects_limit() -> None:
    # equal scores: the shorter name first
    assert [i for i, _ in rank("ac", NAMES)][:2] == [5, 1]
    assert len(rank("", NAMES, limit=2)) == 2


def test_initials_and_letters_in_order_match() -> None:
    assert next(i for i, _ in rank("nt", NAMES)) == 4
    assert 3 in [i for i, _ in rank("cbh", NAMES)]

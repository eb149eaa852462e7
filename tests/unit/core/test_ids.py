from nvrd.core.ids import fill_ids, lowest_free


def test_lowest_free() -> None:
    assert lowest_free(set()) == 1
    assert lowest_free({1, 2, 4}) == 3
    assert lowest_free({1, 2, 4}, start=4) == 5


def test_fill_ids_skips_numbers_given_later_in_the_list() -> None:
    assert fill_ids([None, None]) == [1, 2]
    assert fill_ids([None, 1, None, 3, None]) == [2, 1, 4, 3, 5]
    assert fill_ids([5, None]) == [5, 1]

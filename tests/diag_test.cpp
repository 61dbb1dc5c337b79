// Diagnostics: the compiler-style format, ordering, de-duplication, suggestions.
#include <doctest/doctest.h>

#include "diag/diagnostic.hpp"
#include "diag/suggest.hpp"

using namespace clustersim::diag;

TEST_CASE("diag: FILE:LINE:COL: error: key.path: message") {
    CHECK(format(Diagnostic{{"a.yaml", 14, 5}, "cases[0].count", "must be at least 1, got 0"}) ==
          "a.yaml:14:5: error: cases[0].count: must be at least 1, got 0");
    CHECK(format(Diagnostic{{"a.yaml", 0, 0}, "", "empty document"}) == "a.yaml: error: empty document");
}

TEST_CASE("diag: sorted by position, identical reports once") {
    Diagnostics d;
    d.error({"f", 9, 1}, "b", "second");
    d.error({"f", 2, 7}, "a", "first");
    d.error({"f", 9, 1}, "b", "second");
    const auto s = d.sorted();
    REQUIRE(s.size() == 2);
    CHECK(s[0].message == "first");
    CHECK(s[1].message == "second");
    CHECK_THROWS_AS(d.throw_if_any(), InputError);
}

TEST_CASE("diag: did-you-mean picks the closest name within reach") {
    const std::vector<std::string> keys{"name", "count", "chip", "system", "overrides"};
    CHECK(did_you_mean("cout", keys) == " (did you mean 'count'?)");
    CHECK(did_you_mean("sytsem", keys) == " (did you mean 'system'?)");
    CHECK(did_you_mean("overides", keys) == " (did you mean 'overrides'?)");
    CHECK(did_you_mean("bandwidth", keys).empty());
    CHECK(edit_distance("abc", "ABC") == 0);
    CHECK(edit_distance("ab", "ba") == 1);
}

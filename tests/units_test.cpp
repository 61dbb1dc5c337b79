#include <doctest/doctest.h>

#include "units/parse.hpp"

using namespace clustersim::units;

TEST_CASE("units: smoke") {
    auto r = parse_as<BytesPerSecond>("400 Gb/s");
    REQUIRE(std::holds_alternative<BytesPerSecond>(r));
    CHECK(std::get<BytesPerSecond>(r).si() == doctest::Approx(50e9));
}

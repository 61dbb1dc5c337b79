// Output layer: hashing, CSV quoting and schema, atomic writes.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "diag/diagnostic.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/sha256.hpp"

using namespace clustersim;
namespace fs = std::filesystem;

TEST_CASE("output: SHA-256 matches the FIPS 180-4 test vectors") {
    CHECK(output::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(output::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(output::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(output::sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("output: CSV fields are quoted only when needed (RFC 4180)") {
    CHECK(output::csv_field("plain") == "plain");
    CHECK(output::csv_field("a,b") == "\"a,b\"");
    CHECK(output::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(output::csv_field("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("output: results columns are unique snake_case with a unit or a ratio suffix") {
    const auto cols = output::results_columns();
    const std::set<std::string> unique(cols.begin(), cols.end());
    CHECK(unique.size() == cols.size());
    for (const auto& c : cols) {
        CHECK(c.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
    }
    for (const auto* c : {"peak_bf16_dense_flop_per_s", "hbm_capacity_bytes", "hbm_bandwidth_bytes_per_s",
                          "scale_up_bw_total_both_ways_bytes_per_s", "power_all_in_w", "peak_bf16_dense_vs_baseline"}) {
        CHECK(unique.count(c) == 1);
    }
}

TEST_CASE("output: files are written whole or not at all") {
    const fs::path dir = fs::temp_directory_path() / ("clustersim_output_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    output::write_files_atomically({{dir / "a.txt", "alpha"}, {dir / "sub" / "b.txt", "beta"}});
    CHECK(output::read_file(dir / "a.txt") == "alpha");
    CHECK(output::read_file(dir / "sub" / "b.txt") == "beta");
    // A directory that cannot be created (a file is in the way): IoError, nothing written, no temporaries.
    std::ofstream(dir / "blocker") << "x";
    CHECK_THROWS_AS(output::write_files_atomically({{dir / "c.txt", "c"}, {dir / "blocker" / "d.txt", "d"}}),
                    diag::IoError);
    CHECK_FALSE(fs::exists(dir / "c.txt"));
    for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().string().find(".tmp.") == std::string::npos);
    CHECK_THROWS_AS(output::read_file(dir / "missing"), diag::IoError);
    fs::remove_all(dir);
}

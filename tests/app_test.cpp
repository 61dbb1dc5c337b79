// The CLI end to end, in process: run, list, show, exit codes, determinism across thread counts.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "app/cli.hpp"
#include "app/progress.hpp"
#include "comm/algorithms.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/sha256.hpp"
#include "scenario/scenario_loader.hpp"
#include "test_support.hpp"

using namespace clustersim;
namespace fs = std::filesystem;

namespace {

struct Result {
    int code;
    std::string out;
    std::string err;
};

Result cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--catalog", test::models_dir().string()});
    std::ostringstream out;
    std::ostringstream err;
    const int code = app::run_cli(args, out, err);
    return {code, out.str(), err.str()};
}

// One scratch directory per test process, removed when the process ends.
const fs::path& scratch_root() {
    static const struct Root {
        fs::path path = fs::temp_directory_path() / ("clustersim_app_test_" + std::to_string(::getpid()));
        ~Root() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    } root;
    return root.path;
}

fs::path temp_dir(const std::string& name) {
    const fs::path d = scratch_root() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A one-case scenario for `chip` whose case carries the `overrides:` block a `calibrate --write` file holds.
std::string scenario_with_overrides(const std::string& chip, const std::string& written) {
    std::string indented;
    for (char ch : written.substr(written.find("\noverrides:") + 1)) indented += ch == '\n' ? std::string("\n    ") : std::string(1, ch);
    return "format: 1\nscenario: use-fit\ncases:\n  - name: a\n    chip: " + chip + "\n    count: 8\n    " + indented + "\n";
}

std::string peak_pairs() { return (test::source_dir() / "scenarios" / "peak-weaker-chip-bigger-cluster.yaml").string(); }

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("app: run writes results.csv and run.json and prints the summary") {
    const fs::path dir = temp_dir("run");
    const auto r = cli({"run", peak_pairs(), "-o", dir.string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("Against each case's baseline") != std::string::npos);
    CHECK(r.out.find("cloudmatrix_384         gb200_nvl72") != std::string::npos);
    const std::string csv = output::read_file(dir / "results.csv");
    CHECK(count_lines(csv) == 8);  // header + 7 cases
    CHECK(csv.substr(0, csv.find('\n')).find("scenario,case,baseline,system,chip,topology,chips_count") == 0);
    const std::string json = output::read_file(dir / "run.json");
    CHECK(json.find("\"results_schema_version\": 19") != std::string::npos);
    CHECK(json.find(output::sha256_hex(output::read_file(peak_pairs()))) != std::string::npos);
    CHECK(json.find("chips/nvidia_h100_sxm.yaml") != std::string::npos);
}

TEST_CASE("app: results are byte-identical whatever the thread count") {
    const fs::path dir = temp_dir("threads");
    std::vector<std::string> csvs;
    for (const char* threads : {"1", "2", "8"}) {
        const auto r = cli({"run", peak_pairs(), "-q", "--threads", threads, "-o", (dir / threads).string()});
        REQUIRE(r.code == 0);
        csvs.push_back(output::read_file(dir / threads / "results.csv") + output::read_file(dir / threads / "run.json"));
    }
    CHECK(csvs[0] == csvs[1]);
    CHECK(csvs[0] == csvs[2]);
}

TEST_CASE("app: sweeps expand as a cartesian product, last axis fastest, baselines at the same point") {
    const fs::path dir = temp_dir("sweep");
    std::ofstream(dir / "s.yaml") << R"(format: 1
scenario: sweep-test
baseline: h100
cases:
  - name: h100
    chip: nvidia_h100_sxm
    count: 8
  - name: h20
    chip: nvidia_h20
    count: 8
sweep:
  count: [8, 1024]
  overrides.tdp: ["700 W", "400 W"]
)";
    const auto r = cli({"run", (dir / "s.yaml").string(), "-q", "-o", (dir / "out").string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const std::string csv = output::read_file(dir / "out" / "results.csv");
    CHECK(count_lines(csv) == 9);
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    std::vector<std::string> names;
    while (std::getline(lines, line)) names.push_back(line.substr(line.find(',') + 1, line.find(',', line.find(',') + 1) - line.find(',') - 1));
    CHECK(names == std::vector<std::string>{"h100|count=8|overrides.tdp=700 W", "h100|count=8|overrides.tdp=400 W",
                                            "h100|count=1024|overrides.tdp=700 W", "h100|count=1024|overrides.tdp=400 W",
                                            "h20|count=8|overrides.tdp=700 W", "h20|count=8|overrides.tdp=400 W",
                                            "h20|count=1024|overrides.tdp=700 W", "h20|count=1024|overrides.tdp=400 W"});
    CHECK(csv.find("h20|count=1024|overrides.tdp=400 W,h100|count=1024|overrides.tdp=400 W,") != std::string::npos);
}

namespace {

// A sweep with training rows whose baseline comes later in the file (the stream evaluates
// baselines first), copied into `dir` (a test may edit it).
fs::path streaming_sweep(const fs::path& dir) {
    fs::copy_file(test::source_dir() / "tests" / "data" / "good" / "sweep_streaming.yaml", dir / "s.yaml");
    return dir / "s.yaml";
}

}  // namespace

TEST_CASE("app: a stopped run resumes to the bytes of an uninterrupted one; a row cut short is dropped") {
    const fs::path dir = temp_dir("resume");
    const std::string scen = streaming_sweep(dir).string();
    const auto whole = cli({"run", scen, "-q", "-o", (dir / "whole").string()});
    REQUIRE_MESSAGE(whole.code == 0, whole.err);
    const std::string expected = output::read_file(dir / "whole" / "results.csv");
    CHECK(count_lines(expected) == 65);
    // Chunks of 8 rows per thread: 8 threads stream 64-row chunks, 1 thread 16-row ones.
    for (const char* threads : {"1", "8"}) {
        REQUIRE(cli({"run", scen, "-q", "--threads", threads, "-o", (dir / threads).string()}).code == 0);
        CHECK(output::read_file(dir / threads / "results.csv") == expected);
    }
    CHECK(expected.find("h20|overrides.bf16_dense=900 TFLOPS|overrides.hbm_bandwidth=9 TB/s,h100|overrides.bf16_dense=900 TFLOPS|overrides.hbm_bandwidth=9 TB/s,") !=
          std::string::npos);

    const fs::path out = dir / "cut";
    auto r = cli({"run", scen, "-q", "-o", out.string(), "--max-rows", "23"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("stopped after 23 new rows: 23 of 64") != std::string::npos);
    CHECK_FALSE(fs::exists(out / "results.csv"));  // never a half file under the final name
    const fs::path partial = out / "results.csv.partial";
    CHECK(count_lines(output::read_file(partial)) == 24);
    fs::resize_file(partial, fs::file_size(partial) - 40);  // a kill in the middle of a row
    r = cli({"run", scen, "-q", "-o", out.string(), "--resume", "--max-rows", "10"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("32 of 64") != std::string::npos);  // 22 complete rows kept, 10 more
    r = cli({"run", scen, "-q", "-o", out.string(), "--resume", "--threads", "1"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(output::read_file(out / "results.csv") == expected);
    CHECK(output::read_file(out / "run.json") == output::read_file(dir / "whole" / "run.json"));
    CHECK_FALSE(fs::exists(partial));
    r = cli({"run", scen, "-q", "-o", out.string(), "--resume"});
    CHECK(r.out.find("already complete (64 rows)") != std::string::npos);
}

TEST_CASE("app: --resume refuses rows written from other inputs") {
    const fs::path dir = temp_dir("resume_other");
    const std::string scen = streaming_sweep(dir).string();
    REQUIRE(cli({"run", scen, "-q", "-o", (dir / "o").string(), "--max-rows", "5"}).code == 0);
    std::ofstream(scen, std::ios::app) << "# edited\n";
    const auto r = cli({"run", scen, "-q", "-o", (dir / "o").string(), "--resume"});
    CHECK(r.code == 4);
    CHECK(r.err.find("results.csv.partial: error: was written by a different run") != std::string::npos);
    CHECK(cli({"run", scen, "-q", "-o", (dir / "o").string()}).code == 0);  // without --resume: starts over
}

TEST_CASE("app: shards merge into the bytes of one run; merge names a missing or unfinished shard") {
    const fs::path dir = temp_dir("shards");
    const std::string scen = streaming_sweep(dir).string();
    REQUIRE(cli({"run", scen, "-q", "-o", (dir / "whole").string()}).code == 0);
    const fs::path out = dir / "sharded";
    for (const char* k : {"1/3", "3/3"}) REQUIRE(cli({"run", scen, "-q", "-o", out.string(), "--shard", k}).code == 0);
    auto r = cli({"merge", out.string()});
    CHECK(r.code == 4);
    CHECK(r.err.find("shard-2-of-3: error: is missing: run shard 2/3 first") != std::string::npos);
    REQUIRE(cli({"run", scen, "-q", "-o", out.string(), "--shard", "2/3", "--max-rows", "3"}).code == 0);
    r = cli({"merge", out.string()});
    CHECK(r.err.find("is not finished: resume it with --resume --shard 2/3") != std::string::npos);
    REQUIRE(cli({"run", scen, "-q", "-o", out.string(), "--shard", "2/3", "--resume"}).code == 0);
    CHECK(count_lines(output::read_file(out / "shard-2-of-3" / "results.csv")) == 1 + 21);  // rows 22-42
    r = cli({"merge", out.string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(output::read_file(out / "results.csv") == output::read_file(dir / "whole" / "results.csv"));
    CHECK(output::read_file(out / "run.json") == output::read_file(dir / "whole" / "run.json"));
    for (const char* bad : {"0/3", "4/3", "2", "a/b", "1/0"}) {
        r = cli({"run", scen, "-q", "-o", out.string(), "--shard", bad});
        CHECK(r.code == 2);
        CHECK(r.err.find("--shard takes K/N with 1 <= K <= N") != std::string::npos);
    }
}

TEST_CASE("app: resume takes the same inputs by another path, and starts over from a partial file with no full header") {
    const fs::path dir = temp_dir("resume_paths");
    const std::string scen = streaming_sweep(dir).string();
    REQUIRE(cli({"run", scen, "-q", "-o", (dir / "whole").string()}).code == 0);
    const fs::path out = dir / "o";
    REQUIRE(cli({"run", scen, "-q", "-o", out.string(), "--max-rows", "5"}).code == 0);
    // The same file through another spelling of its path: the same run.
    const std::string other = (dir / "." / "s.yaml").string();
    auto r = cli({"run", other, "-q", "-o", out.string(), "--resume"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(output::read_file(out / "results.csv") == output::read_file(dir / "whole" / "results.csv"));
    // A kill before the header was written: nothing to keep, so --resume starts over.
    const fs::path cut = dir / "cut";
    REQUIRE(cli({"run", scen, "-q", "-o", cut.string(), "--max-rows", "5"}).code == 0);
    fs::resize_file(cut / "results.csv.partial", 10);
    r = cli({"run", scen, "-q", "-o", cut.string(), "--resume"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(output::read_file(cut / "results.csv") == output::read_file(dir / "whole" / "results.csv"));
}

TEST_CASE("app: merge refuses a shard folder that holds another shard's block") {
    const fs::path dir = temp_dir("merge_copied");
    const std::string scen = streaming_sweep(dir).string();
    const fs::path out = dir / "m";
    for (const char* k : {"1/2", "2/2"}) REQUIRE(cli({"run", scen, "-q", "-o", out.string(), "--shard", k}).code == 0);
    fs::remove_all(out / "shard-2-of-2");
    fs::copy(out / "shard-1-of-2", out / "shard-2-of-2");
    auto r = cli({"merge", out.string()});
    CHECK(r.code == 4);
    CHECK(r.err.find("does not describe shard 2 of 2 starting at row 33: was the folder copied or renamed?") != std::string::npos);
    CHECK_FALSE(fs::exists(out / "results.csv"));
    fs::create_directories(out / "shard-3-of-2");
    r = cli({"merge", out.string()});
    CHECK(r.err.find("shard-3-of-2: error: is not a shard of a run: K of N needs 1 <= K <= N") != std::string::npos);
}

TEST_CASE("app: the progress line shows rows, rate and time left") {
    CHECK(app::Progress::line(0, 10000, 0, 0.0) == "[>                       ] 0%  0/10,000 rows");
    CHECK(app::Progress::line(5000, 10000, 0, 10.0) == "[============>           ] 50%  5,000/10,000 rows  500 rows/s  10 s left");
    // A resumed run's rate counts its own rows only.
    CHECK(app::Progress::line(6000, 10000, 5000, 2.0) == "[==============>         ] 60%  6,000/10,000 rows  500 rows/s  8 s left");
    CHECK(app::Progress::line(10000, 10000, 0, 100.0) == "[========================] 100%  10,000/10,000 rows  100 rows/s");
}

TEST_CASE("app: an output directory that cannot be written gives exit 4 and no file") {
    const fs::path dir = temp_dir("io");
    std::ofstream(dir / "file") << "in the way";
    const auto r = cli({"run", peak_pairs(), "-q", "-o", (dir / "file" / "out").string()});
    CHECK(r.code == 4);
    CHECK(r.err.find("cannot create output directory") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "file" / "out"));
}

TEST_CASE("app: usage errors exit 2; --help and --version exit 0") {
    CHECK(cli({}).code == 2);
    CHECK(cli({"frobnicate"}).code == 2);
    CHECK(cli({"list", "gpus"}).code == 2);
    CHECK(cli({"run", "/nonexistent/x.yaml"}).code == 2);
    CHECK(cli({"run", peak_pairs(), "--threads", "0"}).code == 2);
    const auto help = cli({"--help"});
    CHECK(help.code == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
    const auto version = cli({"--version"});
    CHECK(version.code == 0);
    CHECK(version.out.find("0.") != std::string::npos);
}

TEST_CASE("app: list and show print every catalog entry and its sources") {
    const auto chips = cli({"list", "chips"});
    CHECK(chips.code == 0);
    for (const auto& [id, chip] : test::source_catalog().chips) CHECK(chips.out.find(id) != std::string::npos);
    const auto systems = cli({"list", "systems"});
    CHECK(systems.code == 0);
    CHECK(systems.out.find("atlas_960_supercluster") != std::string::npos);
    const auto profiles = cli({"list", "reliability"});
    CHECK(profiles.code == 0);
    for (const auto& [id, profile] : test::source_catalog().reliability) CHECK(profiles.out.find(id) != std::string::npos);
    CHECK(profiles.out.find("27.6 h") != std::string::npos);  // Meta's planned maintenance interval
    const auto show = cli({"show", "chip", "ascend_910c"});
    CHECK(show.code == 0);
    CHECK(show.out.find("752 TFLOP/s") != std::string::npos);
    CHECK(show.out.find("S16:") != std::string::npos);
    CHECK(show.out.find("tdp                    unknown") != std::string::npos);
    CHECK(show.out.find("BF16 ridge point") != std::string::npos);
    const auto sys = cli({"show", "system", "cloudmatrix_384"});
    CHECK(sys.code == 0);
    CHECK(sys.out.find("780 TFLOP/s") != std::string::npos);  // pinned SemiAnalysis basis
    const auto unknown = cli({"show", "chip", "ascend_910"});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find("did you mean") != std::string::npos);
}

TEST_CASE("app: calibrate fits, reports residuals and writes an overrides block") {
    const fs::path dir = temp_dir("calibrate");
    const std::string csv = (test::source_dir() / "models" / "calibration" / "nvidia_h100_sxm_burst.csv").string();
    const auto r = cli({"calibrate", "chip", "nvidia_h100_sxm", csv, "--fit", "matmul_efficiency", "--write",
                        (dir / "fit.yaml").string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    // The catalog's sustained value, refitted on the burst maximum (MAMF).
    CHECK(r.out.find("matmul_efficiency   0.7780  0.8473") != std::string::npos);
    CHECK(r.out.find("RMS relative error") != std::string::npos);
    const std::string yaml = output::read_file(dir / "fit.yaml");
    CHECK(yaml.find("overrides:\n  matmul_efficiency: {value: 0.847") != std::string::npos);
    // The block is a valid scenario override.
    std::ofstream(dir / "use.yaml") << scenario_with_overrides("nvidia_h100_sxm", yaml);
    CHECK(cli({"check", (dir / "use.yaml").string()}).code == 0);
    CHECK(cli({"calibrate", "chip", "nvidia_h100_sxm", csv, "--fit", "matmul_efficency"}).code == 2);
    const auto not_modelled = cli({"calibrate", "chip", "kunlun_p800", csv});
    CHECK(not_modelled.code == 3);
    CHECK(not_modelled.err.find("cannot be modelled") != std::string::npos);
    const auto underdetermined = cli({"calibrate", "chip", "nvidia_h100_sxm", csv});
    CHECK(underdetermined.code == 3);
    CHECK(underdetermined.err.find("cannot fit 3 parameters to 1 measurement") != std::string::npos);
}

TEST_CASE("app: calibrate scans attention_query_extra_keys, prints and writes it as a whole number or null") {
    const fs::path dir = temp_dir("calibrate-count");
    struct Case {
        const char* chip;
        const char* csv;
        const char* fit;
        const char* printed;
        const char* written;
    };
    // The GB200's cuDNN rows give the catalog's 656; the 910B's rows run faster at 4K than at 10K tokens: no
    // per-query cost, written as the catalog's null.
    const Case cases[] = {
        {"nvidia_gb200", "nvidia_gb200_attention.csv", "attention_efficiency,attention_backward_efficiency,attention_query_extra_keys",
         "attention_query_extra_keys         656     656", "attention_query_extra_keys: {value: 656,"},
        {"ascend_910b", "ascend_910b.csv", "attention_efficiency,matmul_efficiency,attention_query_extra_keys",
         "attention_query_extra_keys     none    none", "attention_query_extra_keys: {value: null,"}};
    for (const auto& k : cases) {
        INFO(k.chip);
        const fs::path written = dir / (std::string(k.chip) + ".yaml");
        const auto r = cli({"calibrate", "chip", k.chip, (test::source_dir() / "models" / "calibration" / k.csv).string(),
                            "--fit", k.fit, "--write", written.string()});
        REQUIRE_MESSAGE(r.code == 0, r.err);
        CHECK(r.out.find(k.printed) != std::string::npos);
        const std::string yaml = output::read_file(written);
        CHECK(yaml.find(k.written) != std::string::npos);
        // The block is a valid scenario override.
        std::ofstream(dir / "use.yaml") << scenario_with_overrides(k.chip, yaml);
        CHECK(cli({"check", (dir / "use.yaml").string()}).code == 0);
    }
    // Without attention rows at two lengths the count is not determined (these are matrix products only).
    const auto one_length = cli({"calibrate", "chip", "nvidia_h200_sxm",
                                 (test::source_dir() / "models" / "calibration" / "nvidia_h200_sxm.csv").string(),
                                 "--fit", "matmul_efficiency,attention_query_extra_keys"});
    CHECK(one_length.code == 3);
    CHECK(one_length.err.find("do not determine attention_query_extra_keys: add attention rows at two or more sequence lengths") !=
          std::string::npos);
}

TEST_CASE("app: topologies are listed, shown, measured and exported; large graphs are not exported") {
    const auto list = cli({"list", "topologies"});
    CHECK(list.code == 0);
    for (const char* b : {"fat_tree", "ub_mesh", "dragonfly", "scale_up_scale_out", "supercluster", "hierarchical"}) {
        CHECK(list.out.find(b) != std::string::npos);
    }
    const fs::path dir = temp_dir("topology");
    const auto show = cli({"show", "topology", "cloudmatrix_384", "--graph", (dir / "cm.graphml").string()});
    REQUIRE_MESSAGE(show.code == 0, show.err);
    CHECK(show.out.find("ub     ub_l1           1     32    336") != std::string::npos);  // CloudMatrix paper: 336 L1
    CHECK(show.out.find("ub     ub_l2           2     48    112") != std::string::npos);  // and 112 L2 switches
    CHECK(show.out.find("counts match the closed form") != std::string::npos);
    CHECK(output::read_file(dir / "cm.graphml").find("<graphml") != std::string::npos);
    const auto big = cli({"show", "topology", "hgx_h100_8gpu"});
    CHECK(big.code == 0);
    const auto refused = cli({"show", "topology", "xai_colossus_hopper_200k", "--graph", (dir / "x.dot").string()});
    CHECK(refused.code == 2);
    CHECK(refused.err.find("--graph") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "x.dot"));
    CHECK(cli({"show", "topology", "atlas_950_superpdo"}).code == 2);
}

TEST_CASE("app: show topology breaks network power and price down by part and says what keeps them unknown") {
    const auto show = cli({"show", "topology", "gb200_nvl72"});
    REQUIRE_MESSAGE(show.code == 0, show.err);
    // 3 leaves and 2 spines of Quantum-2 at 747 W (typical, passive cables), 336 modules at 9 W, 18 NVSwitch
    // chips at an estimated 529 W; every part priced (estimates).
    CHECK(show.out.find("infiniband  ib_leaf                   3  nvidia_qm9700              747 W  2.241 kW") !=
          std::string::npos);
    CHECK(show.out.find("infiniband  ib_spine                  2  nvidia_qm9700              747 W  1.494 kW") !=
          std::string::npos);
    CHECK(show.out.find("optical transceivers    336  nvidia_mms4x00_ns400         9 W  3.024 kW") != std::string::npos);
    CHECK(show.out.find("unknown because of:") == std::string::npos);
    CHECK(show.out.find("CW-HW: NVIDIA datasheet figures") != std::string::npos);  // the source of the 747 W
    CHECK(show.out.find("power  529 W (estimate, EST-PJ)") != std::string::npos);
    const auto meta = cli({"show", "topology", "meta_h100_roce_24k"});
    CHECK(meta.out.find("unknown because of:\n  switch tier 'rtsw': no part named\n") != std::string::npos);
    const auto sys = cli({"show", "system", "gb200_nvl72"});
    CHECK(sys.out.find("network power: switches and optical transceivers         16.28 kW") != std::string::npos);
    CHECK(sys.out.find("'clustersim show topology gb200_nvl72'") != std::string::npos);
}

TEST_CASE("app: comm sweeps a collective over message sizes on a system's network and writes comm.csv") {
    const fs::path dir = temp_dir("comm");
    const auto r = cli({"comm", "hgx_h100_8gpu", "--min", "1 MiB", "--max", "1 GiB", "--factor", "4", "-o", dir.string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("NVLink 4 with NCCL") != std::string::npos);
    const std::string csv = output::read_file(dir / "comm.csv");
    CHECK(csv.rfind("scenario,case,system,chips,collective,group_size,groups,stride,algorithm,size_bytes,time_s,"
                    "algbw_bytes_per_s,busbw_bytes_per_s,bottleneck,bottleneck_utilisation\n",
                    0) == 0);
    CHECK(csv.find("\n,hgx_h100_8gpu,hgx_h100_8gpu,8,all_reduce,8,1,1,in_network,1048576,") != std::string::npos);
    CHECK(count_lines(csv) == 7);  // 1, 4, 16, 64, 256 MiB, 1 GiB
    CHECK(cli({"comm", "hgx_h100_8gpu", "--collective", "allreduce"}).code == 2);
    CHECK(cli({"comm", "hgx_h100_8gpu", "--min", "1 KB"}).code == 2);
    CHECK(cli({"comm", "xai_colossus_hopper_200k", "--group-size", "1024"}).code == 2);  // does not tile 200,000
    const auto unknown = cli({"comm", "cloudmatrix384"});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find("did you mean 'cloudmatrix_384'") != std::string::npos);
}

TEST_CASE("app: comm runs every comm section of a scenario; contention shows across oversubscribed leaves") {
    const fs::path dir = temp_dir("comm_scenario");
    const std::string file = (test::source_dir() / "scenarios" / "comm-benchmarks.yaml").string();
    const auto r = cli({"comm", file, "-o", dir.string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("all_to_all on cloudmatrix_384_ep32_all_to_all: 12 groups of 32 ranks (stride 1) on 384 chips") != std::string::npos);
    CHECK(r.out.find("CloudMatrix 384 UB (presets::cloudmatrix_ub)") != std::string::npos);
    const std::string csv = output::read_file(dir / "comm.csv");
    CHECK(count_lines(csv) == 1 + 7 + 7 + 4 + 7 + 4 + 4);
    // The rows of a swept case carry its sweep point; 48 ring all-reduces of 12 ranks at once on leaves
    // of 48 hosts with 16 up-links: one rank per leaf (stride 48) crosses the spines at a third of the
    // hosts' bandwidth, whole groups on a leaf (stride 1) never leave it.
    std::map<std::int64_t, double> time_at_1gib;  // by stride
    std::istringstream lines(csv);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find("oversubscribed_fat_tree_all_reduce|comm.stride=") == std::string::npos) continue;
        std::vector<std::string> f;
        std::stringstream cells(line);
        for (std::string cell; std::getline(cells, cell, ',');) f.push_back(cell);
        REQUIRE(f.size() == 15);
        CHECK(f[5] == "12");
        CHECK(f[6] == "48");
        if (f[9] == "1073741824") time_at_1gib[std::stoll(f[7])] = std::stod(f[10]);
    }
    REQUIRE(time_at_1gib.size() == 2);
    CHECK(time_at_1gib.at(48) / time_at_1gib.at(1) == doctest::Approx(3.0).epsilon(0.05));

    // The sections set the benchmark: command-line settings are refused, not silently ignored.
    const auto flags = cli({"comm", file, "--collective", "all_gather", "--min", "1 MiB"});
    CHECK(flags.code == 2);
    CHECK(flags.err.find("--collective, --min: a scenario's comm sections set the benchmark") != std::string::npos);
    const auto none = cli({"comm", peak_pairs()});
    CHECK(none.code == 2);
    CHECK(none.err.find("no case has a 'comm' section") != std::string::npos);
    const auto bad = cli({"comm", (test::source_dir() / "tests/data/bad/comm_many_errors.yaml").string()});
    CHECK(bad.code == 3);
    CHECK(bad.err.find("13 errors") != std::string::npos);
    CHECK(fs::exists(dir / "comm.csv"));
    // A forced algorithm that cannot run on the case's groups is found when they are routed: named at the case.
    const fs::path rt = temp_dir("comm_runtime") / "rt.yaml";
    {
        std::ofstream(rt) << "format: 1\nscenario: rt\ncases:\n  - name: twelve\n    system: hgx_h100_ib_cluster\n    count: 96\n"
                             "    comm: {collective: all_reduce, group_size: 12, algorithm: recursive_halving_doubling}\n";
    }
    const auto runtime = cli({"comm", rt.string(), "-o", (rt.parent_path() / "out").string()});
    CHECK(runtime.code == 3);
    CHECK(runtime.err == rt.string() + ":4:5: error: comm: case 'twelve': algorithm 'recursive_halving_doubling' does not apply: "
                                       "the group size 12 is not a power of two\n");
    CHECK_FALSE(fs::exists(rt.parent_path() / "out" / "comm.csv"));

    // `run` says where the comm sections run.
    const auto run = cli({"run", file, "-o", temp_dir("comm_run").string()});
    REQUIRE_MESSAGE(run.code == 0, run.err);
    CHECK(run.out.find("(6 cases of " + file + " with a comm section: 'clustersim comm " + file + "' runs the benchmarks)") !=
          std::string::npos);

    const auto list = cli({"list", "algorithms"});
    REQUIRE(list.code == 0);
    for (const auto& name : comm::builtin_algorithms().names()) CHECK(list.out.find(name) != std::string::npos);
}

// ---------------------------------------------------------------- sweeps: field axes, ranges, zip groups

namespace {

// The point names of a one-case scenario (chip h100 x 8) with the given sweep section.
std::vector<std::string> sweep_names(const std::string& sweep) {
    const auto sc = scenario::load_scenario_text("format: 1\nscenario: names\ncases:\n  - {name: a, chip: nvidia_h100_sxm, count: 8}\n"
                                                 "sweep:\n" + sweep,
                                                 "names.yaml", test::source_catalog());
    std::vector<std::string> names;
    for (const auto& c : sc.cases) names.push_back(c.name);
    return names;
}

}  // namespace

TEST_CASE("app: field axes set case fields; a zip group is one factor; names and order are the cartesian product's") {
    const auto sc = scenario::load_scenario(test::source_dir() / "tests/data/good/sweep_fields.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 12);  // 2 cases x 3 batches x 2 zipped points x 1
    std::vector<std::string> names;
    for (const auto& c : sc.cases) names.push_back(c.name);
    const std::string tail = "|training.execution.memory_reserve=0.1";
    CHECK(names[0] == "h100|training.global_batch=16|training.plan.tp=1|overrides.hbm_bandwidth=2 TB/s" + tail);
    CHECK(names[1] == "h100|training.global_batch=16|training.plan.tp=2|overrides.hbm_bandwidth=3 TB/s" + tail);
    CHECK(names[2] == "h100|training.global_batch=32|training.plan.tp=1|overrides.hbm_bandwidth=2 TB/s" + tail);
    CHECK(names[11] == "h20|training.global_batch=64|training.plan.tp=2|overrides.hbm_bandwidth=3 TB/s" + tail);
    for (std::size_t i = 0; i < sc.cases.size(); ++i) {
        const auto& c = sc.cases[i];
        INFO(c.name);
        REQUIRE(c.training.has_value());
        CHECK(c.training->global_batch == std::int64_t{16} << ((i % 6) / 2));
        REQUIRE(c.training->plan.has_value());
        CHECK(c.training->plan->tp == (i % 2 == 0 ? 1 : 2));
        CHECK(c.training->seq_len == 4096);  // the case's own, through the anchor
        CHECK(c.training->execution.memory_reserve == 0.1);
        CHECK(c.cluster.chip->hbm_bandwidth.value->si() == (i % 2 == 0 ? 2e12 : 3e12));
        CHECK(c.baseline == (i < 6 ? "" : "h100" + c.name.substr(3)));  // compared at the same point
    }
}

TEST_CASE("app: ranges: linear by step, by steps, logarithmic, geometric; integers stay integers, units as in 'from'") {
    CHECK(sweep_names("  count: {from: 8, to: 32, step: 8}\n") ==
          std::vector<std::string>{"a|count=8", "a|count=16", "a|count=24", "a|count=32"});
    CHECK(sweep_names("  count: {from: 8, to: 30, step: 8}\n") ==  // 'to' is included only when reached
          std::vector<std::string>{"a|count=8", "a|count=16", "a|count=24"});
    CHECK(sweep_names("  count: {from: 1024, to: 1048576, steps: 11, scale: log}\n").back() == "a|count=1048576");
    CHECK(sweep_names("  count: {from: 1024, to: 1048576, steps: 11, scale: log}\n")[1] == "a|count=2048");
    CHECK(sweep_names("  count: {from: 1024, to: 1048576, factor: 2}\n").size() == 11);
    CHECK(sweep_names("  count: {from: 1, to: 1000, steps: 5, scale: log}\n") ==  // rounded to the nearest integer
          std::vector<std::string>{"a|count=1", "a|count=6", "a|count=32", "a|count=178", "a|count=1000"});
    CHECK(sweep_names("  overrides.tdp: {from: \"100 W\", to: \"900 W\", steps: 5}\n") ==
          std::vector<std::string>{"a|overrides.tdp=100 W", "a|overrides.tdp=300 W", "a|overrides.tdp=500 W",
                                   "a|overrides.tdp=700 W", "a|overrides.tdp=900 W"});
    // Points are written in the unit of 'from', 4 significant digits (more when needed to tell them apart).
    CHECK(sweep_names("  overrides.hbm_bandwidth: {from: \"512 GB/s\", to: \"10 TB/s\", factor: 2}\n").back() ==
          "a|overrides.hbm_bandwidth=8192 GB/s");
    CHECK(sweep_names("  overrides.hbm_bandwidth: {from: \"1 TB/s\", to: \"2 TB/s\", steps: 4}\n")[1] ==
          "a|overrides.hbm_bandwidth=1.333 TB/s");
    CHECK(sweep_names("  overrides.hbm_bandwidth: {from: \"1 TB/s\", to: \"1.0001 TB/s\", steps: 3}\n")[1] ==
          "a|overrides.hbm_bandwidth=1.00005 TB/s");
    CHECK(sweep_names("  overrides.memory_efficiency: {from: 0.1, to: 0.3, step: 0.1}\n") ==
          std::vector<std::string>{"a|overrides.memory_efficiency=0.1", "a|overrides.memory_efficiency=0.2",
                                   "a|overrides.memory_efficiency=0.3"});
    // A bandwidth between chips: the range's direction makes each point a long-form value.
    const auto sc = scenario::load_scenario_text(
        "format: 1\nscenario: dir\ncases:\n  - {name: a, chip: nvidia_h100_sxm, count: 8}\nsweep:\n"
        "  overrides.scale_up_bandwidth: {from: \"200 GB/s\", to: \"400 GB/s\", steps: 2, direction: both-ways}\n",
        "dir.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 2);
    CHECK(sc.cases[1].name == "a|overrides.scale_up_bandwidth=400 GB/s both-ways");
    CHECK(sc.cases[1].cluster.chip->scale_up_bandwidth.value->si() == 200e9);  // stored one way
}

TEST_CASE("app: a zip group advances its axes together, in place among the other axes") {
    CHECK(sweep_names("  chip: [nvidia_h100_sxm, nvidia_h20]\n"
                      "  zip:\n    count: [8, 16, 32]\n    overrides.tdp: [\"700 W\", \"600 W\", \"500 W\"]\n") ==
          std::vector<std::string>{"a|chip=nvidia_h100_sxm|count=8|overrides.tdp=700 W",
                                   "a|chip=nvidia_h100_sxm|count=16|overrides.tdp=600 W",
                                   "a|chip=nvidia_h100_sxm|count=32|overrides.tdp=500 W",
                                   "a|chip=nvidia_h20|count=8|overrides.tdp=700 W",
                                   "a|chip=nvidia_h20|count=16|overrides.tdp=600 W",
                                   "a|chip=nvidia_h20|count=32|overrides.tdp=500 W"});
    // Two groups, 'zip' and 'zip.NAME': 2 x 2 points; the same value may repeat inside a group.
    CHECK(sweep_names("  zip: {count: [8, 8], overrides.tdp: [\"700 W\", \"600 W\"]}\n"
                      "  zip.mem: {overrides.hbm_bandwidth: [\"3 TB/s\", \"4 TB/s\"], overrides.hbm_capacity: [\"80 GB\", \"80 GB\"]}\n")
              .size() == 4);
}

TEST_CASE("app: a field axis over mappings names each point by its value in flow style") {
    const auto sc = scenario::load_scenario_text(R"(format: 1
scenario: topologies
cases:
  - name: a
    chip: nvidia_h100_sxm
    count: 8
    topology: {builder: ring, accelerators: 8, link: {bandwidth: "100 GB/s"}}
sweep:
  topology:
    - {builder: ring, accelerators: 8, link: {bandwidth: "100 GB/s"}}
    - {builder: full_mesh, accelerators: 8, link: {bandwidth: "100 GB/s"}}
)",
                                                 "t.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 2);
    CHECK(sc.cases[1].name == "a|topology={builder: full_mesh, accelerators: 8, link: {bandwidth: 100 GB/s}}");
    REQUIRE(sc.cases[1].cluster.topology != nullptr);
    CHECK(sc.cases[1].cluster.topology->builder == "full_mesh");
    CHECK(sc.cases[0].cluster.topology->builder == "ring");
}

TEST_CASE("app: explain breaks a training or serving step into its kernels and writes kernels.csv") {
    const fs::path dir = temp_dir("explain");
    const std::string file = (test::source_dir() / "tests" / "validation" / "sc21-megatron.yaml").string();
    const auto r = cli({"explain", file, "--case", "sc21-t1-gpt-1.7b-32gpu", "--case", "sc21-t1-gpt-7.5b-128gpu", "--top", "5",
                        "-o", dir.string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.find("sc21-t1-gpt-1.7b-32gpu: training megatron_gpt_1.7b on 32 x nvidia_a100_sxm, plan dp32 mb16 full (given), 1 "
                     "micro-batch per step\n") != std::string::npos);
    CHECK(r.out.find("the 5 longest of 56 kernels per step:") != std::string::npos);
    CHECK(r.out.find("attention_softmax") != std::string::npos);  // 2021 Megatron's unfused core
    CHECK(r.out.find("sc21-t1-gpt-7.5b-128gpu: training megatron_gpt_7.5b") != std::string::npos);
    CHECK(r.out.find("sc21-t1-gpt-3.6b") == std::string::npos);  // not asked for
    // A context-parallel attention shows the ring's steps, each a kernel of its own.
    const auto ring = cli({"explain", (test::source_dir() / "tests" / "validation" / "nemo-megatron-bridge.yaml").string(), "--case",
                           "nemo-26.02-llama31-405b-1024xh100-fp8cs", "--top", "100"});
    REQUIRE_MESSAGE(ring.code == 0, ring.err);
    CHECK(ring.out.find("b1 h16/1 d128 s4096/6144 causal in 2 steps") != std::string::npos);
    // Every kernel of both cases; per case their shares of the kernels' time add up to one.
    const std::string csv = output::read_file(dir / "kernels.csv");
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    CHECK(line.rfind("scenario,case,job,plan,rank,micro_batches,part,pass,index,kernel,gradient,kind,", 0) == 0);
    const auto columns = static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
    std::map<std::string, double> share;
    while (std::getline(lines, line)) {
        CHECK(static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1 == columns);
        const auto first = line.find(',') + 1;
        share[line.substr(first, line.find(',', first) - first)] += std::stod(line.substr(line.rfind(',') + 1));
    }
    REQUIRE(share.size() == 2);
    for (const auto& [name, total] : share) CHECK_MESSAGE(total == doctest::Approx(1.0).epsilon(1e-9), name);
    // A case that does not exist, or a file without a training case: usage errors that say what is valid.
    const auto unknown = cli({"explain", file, "--case", "sc21-t1-gpt-1.7b-32"});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find("did you mean 'sc21-t1-gpt-1.7b-32gpu'") != std::string::npos);
    CHECK(cli({"explain", peak_pairs()}).code == 2);
    // A count below 1 names the rule, not CLI11's range of doubles.
    const auto none = cli({"explain", file, "--top", "0"});
    CHECK(none.code == 2);
    CHECK(none.err.find("'0' is not valid: a whole number of at least 1") != std::string::npos);
    CHECK(none.err.find("1.79") == std::string::npos);
    // A serving case: both instances, each with its kernels; their shares add up to one per phase.
    const std::string serving = (test::source_dir() / "tests" / "validation" / "cloudmatrix-serving.yaml").string();
    const fs::path sdir = temp_dir("explain-serving");
    const auto cm = cli({"explain", serving, "--case", "cloudmatrix-r1-decode-in2048-out256-tpot50ms", "-o", sdir.string()});
    REQUIRE_MESSAGE(cm.code == 0, cm.err);
    CHECK(cm.out.find("prefill instance: 16 chips x2 ranks tp1 ep32 batch 2, two micro-batches") != std::string::npos);
    CHECK(cm.out.find("decode instance: 160 chips x2 ranks tp1 ep320 (32 shared)") != std::string::npos);
    const std::string scsv = output::read_file(sdir / "kernels.csv");
    std::istringstream slines(scsv);
    std::getline(slines, line);
    std::map<std::string, double> phases;
    while (std::getline(slines, line)) {
        const bool prefill = line.find(",prefill,") != std::string::npos;
        CHECK((prefill || line.find(",decode,") != std::string::npos));
        phases[prefill ? "prefill" : "decode"] += std::stod(line.substr(line.rfind(',') + 1));
    }
    REQUIRE(phases.size() == 2);
    for (const auto& [phase, total] : phases) CHECK_MESSAGE(total == doctest::Approx(1.0).epsilon(1e-9), phase);
}

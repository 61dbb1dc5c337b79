// Output layer: hashing, CSV quoting and schema, atomic writes, the serving columns.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

#include "diag/diagnostic.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/sha256.hpp"
#include "output/summary.hpp"
#include "run/crossover.hpp"
#include "run/runner.hpp"
#include "scenario/scenario_loader.hpp"
#include "test_support.hpp"

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

namespace {

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks), each as column -> cell.
std::vector<std::map<std::string, std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> records(1);
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (quoted) {
            if (ch != '"') {
                cell += ch;
            } else if (i + 1 < text.size() && text[i + 1] == '"') {
                cell += '"';
                ++i;
            } else {
                quoted = false;
            }
        } else if (ch == '"') {
            quoted = true;
        } else if (ch == ',') {
            records.back().push_back(std::move(cell));
            cell.clear();
        } else if (ch == '\n') {
            records.back().push_back(std::move(cell));
            cell.clear();
            records.emplace_back();
        } else {
            cell += ch;
        }
    }
    records.pop_back();  // after the last LF
    std::vector<std::map<std::string, std::string>> rows;
    for (std::size_t r = 1; r < records.size(); ++r) {
        REQUIRE(records[r].size() == records[0].size());
        std::map<std::string, std::string> row;
        for (std::size_t k = 0; k < records[0].size(); ++k) row[records[0][k]] = records[r][k];
        rows.push_back(std::move(row));
    }
    return rows;
}

double cell_number(const std::map<std::string, std::string>& row, const std::string& column) {
    INFO(column);
    REQUIRE(row.count(column) == 1);
    REQUIRE_FALSE(row.at(column).empty());
    return std::stod(row.at(column));
}

}  // namespace

TEST_CASE("output: results.csv carries the serving columns, empty for cases without serving") {
    const auto sc = scenario::load_scenario_text(R"(
format: 1
scenario: serving-columns
cases:
  - name: given
    system: hgx_h100_8gpu
    serving: {workload: llama3_8b, weights: fp8, prompt_tokens: 1024, output_tokens: 256,
              decode: {tp: 1, batch: 16}, prefill: {tp: 1, batch: 1}}
    measured: {tpot: "20 ms", source: "a test figure"}
  - name: searched
    system: hgx_h100_8gpu
    baseline: given
    serving: {workload: llama3_8b, weights: fp8, prompt_tokens: 1024, output_tokens: 256, tpot_limit: "30 ms",
              speculation: {draft_tokens: 2, acceptance: 0.8},
              decode: {chips: 4, tp: 1}, prefill: {chips: 4, tp: 1, batch: 1},
              execution: {overlap_comm: true, dispatch: fp8, fp8_scaling: block, expert_imbalance: 1.5,
                         activation_quant: {prefill: separate}}}
  - name: too_tight
    system: hgx_h100_8gpu
    serving: {workload: llama3_8b, prompt_tokens: 1024, output_tokens: 256, tpot_limit: "1 us",
              decode: {tp: 1}, prefill: {tp: 1, batch: 1}}
  - name: training_only
    system: hgx_h100_8gpu
    training: {workload: llama3_8b, global_batch: 64, plan: {tp: 8, micro_batch: 1, sequence_parallel: true}}
)",
                                                 "serving-columns.yaml", test::source_catalog());
    const auto r = run::run_scenario(sc);
    REQUIRE(r.cases.size() == 4);
    for (std::size_t i = 0; i < 2; ++i) {
        INFO(r.cases[i].name, ": ", r.cases[i].serving ? r.cases[i].serving->problem : std::string("no serving"));
        REQUIRE(r.cases[i].serving.has_value());
        REQUIRE(r.cases[i].serving->result.has_value());
    }
    REQUIRE(r.cases[2].serving.has_value());
    REQUIRE_FALSE(r.cases[2].serving->result.has_value());

    const auto cols = output::results_columns();
    const auto serving_begin = std::find(cols.begin(), cols.end(), "serving_workload");
    REQUIRE(serving_begin != cols.end());
    // Appended after the training columns, so that the columns of schema v4 keep their positions.
    CHECK(serving_begin - std::find(cols.begin(), cols.end(), "tokens_per_s_vs_baseline") == 1);
    // The reliability columns follow the serving ones (schema v6), the economics columns them (v7);
    // schema v8 appends the reliability model's racks, spares and goodput ratio; v9 recompute_layers;
    // v10 the execution switches, training's then serving's; v11 training_overlap_ep_comm, training_fp8_scaling,
    // training_dispatch_bytes_per_element, training_ep_algorithm, training_ep_bottleneck; v12 the serving
    // instances' shared-expert ranks; v13 recompute_modules, pipeline_schedule, training_activation_cache;
    // v14 pipeline_layers_per_stage; v15 prefill_activation_quant, decode_activation_quant; v16
    // training_activation_offload_layers, offloaded_per_chip_bytes, offload_s; v17 training_fsdp,
    // training_grad_accumulation; v18 training_rope; v19 training_pipeline_sends, training_overlap_tp_backward.
    CHECK(cols.size() == 270);
    CHECK(cols[261] == "decode_activation_quant");
    CHECK(cols[262] == "training_activation_offload_layers");
    CHECK(cols[259] == "pipeline_layers_per_stage");
    CHECK(cols[260] == "prefill_activation_quant");
    CHECK(cols[264] == "offload_s");
    CHECK(cols[265] == "training_fsdp");
    CHECK(cols[266] == "training_grad_accumulation");
    CHECK(cols[267] == "training_rope");
    CHECK(cols[268] == "training_pipeline_sends");
    CHECK(cols.back() == "training_overlap_tp_backward");
    CHECK(cols[234] == "recompute_layers");
    CHECK(cols[235] == "training_attention");
    CHECK(cols[236] == "training_elementwise");
    CHECK(cols[243] == "serving_overlap_comm");
    CHECK(cols[248] == "serving_fp8_scaling");
    CHECK(cols[249] == "training_overlap_ep_comm");
    CHECK(cols[250] == "training_fp8_scaling");
    CHECK(cols[251] == "training_dispatch_bytes_per_element");
    CHECK(cols[253] == "training_ep_bottleneck");
    CHECK(cols[254] == "prefill_shared_expert_ranks");
    CHECK(cols[255] == "decode_shared_expert_ranks");
    CHECK(cols[256] == "recompute_modules");
    CHECK(cols[257] == "pipeline_schedule");
    CHECK(cols[258] == "training_activation_cache");
    CHECK(cols[197] == "goodput_tokens_per_s");
    CHECK(cols[198] == "electricity_price_usd_per_kwh");
    CHECK(cols[219] == "economics_omitted");
    CHECK(cols[221] == "series");
    CHECK(cols[224] == "wafers_needed");
    CHECK(cols[225] == "cabinets_count");
    CHECK(cols[226] == "failure_parts_racks");
    CHECK(cols[232] == "mean_restart_s");
    CHECK(cols[233] == "goodput_tokens_per_s_vs_baseline");
    CHECK(std::find(cols.begin(), cols.end(), "serving_problem") != cols.end());
    const std::vector<std::string> serving_cols(serving_begin, std::find(cols.begin(), cols.end(), "serving_problem") + 1);
    for (const char* c : {"serving_weights", "serving_kv_cache", "prompt_tokens", "output_tokens", "tpot_limit_s", "ttft_limit_s",
                          "draft_tokens", "draft_acceptance", "prefill_chips", "decode_ranks_per_chip", "decode_tp", "decode_ep",
                          "decode_batch_sequences", "decode_batch_searched", "decode_max_batch_sequences", "decode_batch_limit",
                          "decode_step_s", "decode_kernels_s", "decode_compute_s", "decode_memory_s", "decode_overhead_s",
                          "decode_ep_comm_s", "decode_tp_comm_s", "decode_weights_bytes", "decode_kv_cache_bytes",
                          "decode_activation_bytes", "decode_hbm_usable_bytes", "decode_limiting_resource", "decode_ep_algorithm",
                          "decode_ep_bottleneck", "prefill_step_s", "prefill_tokens_per_s_per_chip", "decode_tokens_per_s_per_chip",
                          "decode_draft_s", "ttft_s", "tpot_s", "kv_transfer_s", "prefill_chip_share", "serving_requests_per_s",
                          "serving_output_tokens_per_s", "serving_output_tokens_per_s_per_chip",
                          "serving_output_tokens_per_s_vs_baseline", "serving_measured_metric", "serving_measured_value_si",
                          "serving_predicted_value_si", "serving_relative_error"}) {
        INFO(c);
        CHECK(std::count(serving_cols.begin(), serving_cols.end(), c) == 1);
    }

    const std::string csv = output::results_csv({r});
    const auto rows = parse_csv(csv);
    REQUIRE(rows.size() == 4);
    const auto& given = rows[0];
    const auto& searched = rows[1];
    const auto& too_tight = rows[2];
    const auto& training_only = rows[3];

    // Decode: a step yields batch x ranks per chip x (1 + a + ... + a^d) tokens per chip (serve::evaluate).
    for (const auto* row : {&given, &searched}) {
        INFO((*row).at("case"));
        CHECK(cell_number(*row, "tpot_s") > 0);
        const double per_chip = cell_number(*row, "decode_tokens_per_s_per_chip");
        CHECK(per_chip > 0);
        const double a = row->at("draft_acceptance").empty() ? 0.0 : cell_number(*row, "draft_acceptance");
        double tokens_per_step = 1, p = 1;
        for (int i = 0; i < static_cast<int>(cell_number(*row, "draft_tokens")); ++i) tokens_per_step += p *= a;
        const double expected = cell_number(*row, "decode_batch_sequences") * cell_number(*row, "decode_ranks_per_chip") *
                                tokens_per_step / cell_number(*row, "decode_step_s");
        CHECK(std::fabs(per_chip / expected - 1) <= 1e-9);
        // TPOT = step / tokens per step.
        CHECK(std::fabs(cell_number(*row, "tpot_s") * tokens_per_step / cell_number(*row, "decode_step_s") - 1) <= 1e-9);
        CHECK(cell_number(*row, "decode_step_s") >= cell_number(*row, "decode_kernels_s"));
    }
    CHECK(given.at("serving_workload") == "llama3_8b");
    CHECK(given.at("serving_weights") == "fp8");
    CHECK(given.at("serving_kv_cache") == "bf16");
    CHECK(given.at("prompt_tokens") == "1024");
    CHECK(given.at("decode_chips") == "8");
    CHECK(given.at("decode_batch_sequences") == "16");
    CHECK(given.at("decode_batch_searched") == "false");
    CHECK(given.at("decode_batch_limit") == "given");
    CHECK(given.at("tpot_limit_s").empty());
    CHECK(given.at("draft_tokens") == "0");
    CHECK(given.at("draft_acceptance").empty());
    CHECK(given.at("decode_shared_expert_ranks") == "0");
    CHECK(training_only.at("decode_shared_expert_ranks").empty());
    CHECK(given.at("kv_transfer_s") == "0");  // prefill on every chip: colocated, nothing moves
    CHECK(given.at("serving_problem").empty());
    CHECK(given.at("serving_measured_metric") == "tpot");
    CHECK(cell_number(given, "serving_measured_value_si") == 0.02);
    CHECK(cell_number(given, "serving_predicted_value_si") == cell_number(given, "tpot_s"));
    CHECK(cell_number(given, "serving_relative_error") == doctest::Approx(cell_number(given, "tpot_s") / 0.02 - 1));
    CHECK(given.at("serving_output_tokens_per_s_vs_baseline").empty());  // no baseline
    // The execution switches (schema v10): the defaults, the given ones, none without the job.
    CHECK(given.at("serving_overlap_comm") == "false");
    CHECK(given.at("serving_dispatch_bytes_per_element") == "2");
    CHECK(given.at("serving_fp8_scaling") == "tensor");
    CHECK(given.at("serving_disaggregated") == "true");
    CHECK(given.at("serving_memory_reserve_fraction") == "0.1");
    CHECK(given.at("training_attention").empty());
    CHECK(searched.at("serving_overlap_comm") == "true");
    CHECK(searched.at("serving_dispatch_bytes_per_element") == "1");
    CHECK(searched.at("serving_fp8_scaling") == "block");
    CHECK(searched.at("serving_expert_imbalance_ratio") == "1.5");
    CHECK(searched.at("prefill_activation_quant") == "separate");  // v15
    CHECK(searched.at("decode_activation_quant") == "fused");
    CHECK(given.at("prefill_activation_quant") == "fused");
    CHECK(given.at("decode_activation_quant") == "fused");
    CHECK(training_only.at("prefill_activation_quant").empty());
    CHECK(training_only.at("serving_overlap_comm").empty());
    CHECK(training_only.at("training_attention") == "flash");
    CHECK(training_only.at("training_elementwise") == "fused");
    CHECK(training_only.at("training_overlap_ep_comm") == "false");
    CHECK(training_only.at("training_fp8_scaling") == "tensor");
    CHECK(training_only.at("training_dispatch_bytes_per_element") == "2");
    CHECK(given.at("training_overlap_ep_comm").empty());
    // The cluster serves chips / (prompt / prefill rate + output / decode rate) requests per second.
    const double per_request = 1024 / cell_number(given, "prefill_tokens_per_s_per_chip") +
                               256 / cell_number(given, "decode_tokens_per_s_per_chip");
    CHECK(cell_number(given, "serving_requests_per_s") == doctest::Approx(8 / per_request).epsilon(1e-12));

    CHECK(searched.at("decode_batch_searched") == "true");
    CHECK(searched.at("decode_chips") == "4");
    CHECK(cell_number(searched, "tpot_limit_s") == 0.03);
    CHECK(cell_number(searched, "tpot_s") <= 0.03);
    CHECK(cell_number(searched, "decode_max_batch_sequences") >= cell_number(searched, "decode_batch_sequences"));
    CHECK(cell_number(searched, "kv_transfer_s") > 0);  // the prefill instance's 4 chips send to the decode instance's
    CHECK(cell_number(searched, "decode_draft_s") > 0);
    CHECK(searched.at("serving_measured_metric").empty());
    CHECK(cell_number(searched, "serving_output_tokens_per_s_vs_baseline") ==
          doctest::Approx(cell_number(searched, "serving_output_tokens_per_s") / cell_number(given, "serving_output_tokens_per_s"))
              .epsilon(1e-12));

    // A case that cannot run: its inputs written, the model's figures empty, the problem said.
    CHECK(too_tight.at("decode_chips") == "8");
    CHECK(too_tight.at("decode_batch_sequences").empty());
    CHECK(too_tight.at("decode_batch_searched") == "true");
    CHECK(too_tight.at("decode_step_s").empty());
    CHECK(too_tight.at("tpot_s").empty());
    CHECK(too_tight.at("serving_output_tokens_per_s").empty());
    CHECK(too_tight.at("serving_problem").find("time-per-output-token") != std::string::npos);

    // A case without serving: every serving cell empty; its training columns filled.
    CHECK_FALSE(training_only.at("step_time_s").empty());
    for (const auto& c : serving_cols) {
        INFO(c);
        CHECK(training_only.at(c).empty());
    }

    // The summary's serving table: one row per serving case, the problem for the one that cannot run.
    const std::string text = output::summary_text(r);
    REQUIRE(text.find("\nServing (") != std::string::npos);
    const std::string serving = text.substr(text.find("\nServing ("));
    CHECK(serving.find("8 chips tp1 ep1 batch 16") != std::string::npos);
    CHECK(serving.find("best: 4 chips tp1 ep1 batch ") != std::string::npos);
    CHECK(serving.find("  too_tight: decode: no batch meets the time-per-output-token limit") != std::string::npos);
    CHECK(serving.find("training_only") == std::string::npos);
}

TEST_CASE("output: the crossover interpolates the candidate's curve log-log at each reference row") {
    // Each case sweeps its own size: H100s at 8 and 16 chips, H20s at 8 to 64, on single switches.
    const auto sc = scenario::load_scenario_text(R"(format: 1
scenario: crossover
crossover:
  - {reference: h100, candidate: h20, metric: training}
cases:
  - name: h100
    chip: nvidia_h100_sxm
    topology: {builder: single_switch, accelerators: 8, radix: 8, link: {bandwidth: "400 Gb/s"}}
    training: {workload: megatron_gpt_1.7b, global_batch: 64, seq_len: 2048, plan: {tp: 1, pp: 1, micro_batch: 1}}
    sweep:
      zip: {count: [8, 16], topology.accelerators: [8, 16], topology.radix: [8, 16]}
  - name: h20
    chip: nvidia_h20
    topology: {builder: single_switch, accelerators: 8, radix: 8, link: {bandwidth: "400 Gb/s"}}
    training: {workload: megatron_gpt_1.7b, global_batch: 64, seq_len: 2048, plan: {tp: 1, pp: 1, micro_batch: 1}}
    sweep:
      zip: {count: [8, 16, 32, 64], topology.accelerators: [8, 16, 32, 64], topology.radix: [8, 16, 32, 64]}
)", "crossover.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 6);
    CHECK(sc.cases[2].case_name == "h20");
    CHECK(sc.cases[2].series.empty());  // count zipped with the topology's size: one curve
    const auto r = run::run_scenario(sc);
    const auto rows = run::crossovers(sc, r);
    REQUIRE(rows.size() == 2);
    auto rate = [&](std::size_t i) { return r.cases[i].training->step->tokens_per_s; };
    for (std::size_t k = 0; k < 2; ++k) {
        const auto& x = rows[k];
        CHECK(x.reference_chips == (k == 0 ? 8 : 16));
        CHECK(x.reference_tokens_per_s == rate(k));
        REQUIRE(x.status == run::CrossoverRow::Status::interpolated);
        // The bracketing H20 rows, and the log-log interpolation between them by hand.
        std::size_t hi = 2;
        while (rate(hi) < x.reference_tokens_per_s) ++hi;
        REQUIRE(hi > 2);
        const double n0 = static_cast<double>(sc.cases[hi - 1].cluster.chip_count);
        const double n1 = static_cast<double>(sc.cases[hi].cluster.chip_count);
        const double f = std::log(x.reference_tokens_per_s / rate(hi - 1)) / std::log(rate(hi) / rate(hi - 1));
        CHECK(*x.candidate_chips == doctest::Approx(n0 * std::pow(n1 / n0, f)));
        CHECK(*x.candidate_chips > static_cast<double>(x.reference_chips));  // the H20 is the weaker chip
    }
    const std::string text = output::crossover_text(rows);
    CHECK(text.find("Crossover: chips of the candidate") != std::string::npos);
    CHECK(text.find("h100|count=16|topology.accelerators=16|topology.radix=16") != std::string::npos);
}

TEST_CASE("output: every point of a case's own sweep compares with a baseline that has one row") {
    const auto sc = scenario::load_scenario_text(R"(format: 1
scenario: one-row-baseline
cases:
  - name: h100
    chip: nvidia_h100_sxm
    count: 8
  - name: h20
    chip: nvidia_h20
    baseline: h100
    sweep:
      count: [8, 16]
)", "one-row-baseline.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 3);
    CHECK(sc.cases[1].name == "h20|count=8");
    CHECK(sc.cases[1].baseline == "h100");
    CHECK(sc.cases[2].baseline == "h100");
    const auto r = run::run_scenario(sc);
    CHECK(r.cases[2].baseline_index == std::optional<std::size_t>(0));
}

TEST_CASE("output: a candidate swept over an axis the reference lacks gives one crossover per curve") {
    // tests/data/good/study_small.yaml: h20 also sweeps the electricity price (two curves against chips).
    const auto sc = scenario::load_scenario(test::source_dir() / "tests" / "data" / "good" / "study_small.yaml", test::source_catalog());
    const auto rows = run::crossovers(sc, run::run_scenario(sc));
    REQUIRE(rows.size() == 4);  // 2 reference rows x 2 candidate curves
    CHECK(rows[0].point == "economics.electricity_price=0.04 USD/kWh");
    CHECK(rows[1].point == "economics.electricity_price=0.08 USD/kWh");
    for (const auto& r : rows) {
        CHECK(r.status == run::CrossoverRow::Status::interpolated);
        CHECK(*r.candidate_chips > static_cast<double>(r.reference_chips));
    }
    CHECK(*rows[0].candidate_chips == *rows[1].candidate_chips);  // the price moves no token
}

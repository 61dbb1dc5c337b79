// The workload catalog (models/workloads/*.yaml) and its loader: every committed file loads, the
// decoded values match their sources, and every error message of a bad workload file is triggered
// once, compiler style (FILE:LINE:COL: error: key.path: message). Bad files are templates corrupted
// in memory or written to a temporary directory, like the chip-file tests in scenario_errors_test.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli.hpp"
#include "diag/diagnostic.hpp"
#include "scenario/catalog_loader.hpp"
#include "scenario/workload_loader.hpp"
#include "test_support.hpp"

using namespace clustersim;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> workload_files() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(test::models_dir() / "workloads")) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

const catalog::WorkloadSpec& workload(std::string_view id) {
    const auto& cat = test::source_catalog();
    const auto it = cat.workloads.find(id);
    REQUIRE_MESSAGE(it != cat.workloads.end(), "no workload ", id);
    return *it->second;
}

struct Result {
    int code = -1;
    std::string out;
    std::string err;
};

Result cli(const std::vector<std::string>& args, const fs::path& catalog = test::models_dir()) {
    std::vector<std::string> all{"--catalog", catalog.string()};
    all.insert(all.end(), args.begin(), args.end());
    std::ostringstream out;
    std::ostringstream err;
    Result r;
    r.code = app::run_cli(all, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

using test::TempDir;
using test::write_file;

// A catalog with no chips and no systems (both directories are required) and the given workload files.
fs::path make_catalog(const TempDir& tmp, const std::vector<std::pair<std::string, std::string>>& workloads) {
    const fs::path models = tmp.path() / "models";
    fs::create_directories(models / "chips");
    fs::create_directories(models / "systems");
    fs::create_directories(models / "workloads");
    for (const auto& [name, text] : workloads) write_file(models / "workloads" / name, text);
    return models;
}

// A valid dense workload with grouped-query attention; the error tests corrupt one line of it.
constexpr std::string_view dense_template = R"(id: test_model
name: Test model
family: Test
sources:
  SRC: "a citation"
source: SRC
notes: "for tests"
layers: 4
hidden: 256
ffn: 1024
heads: 8
kv_heads: 2
head_dim: 32
vocab: 1000
seq_len: 128
mlp: swiglu
positions: rotary
tied_embeddings: false
biases: false
published_params:
  value: 1.5e7
  source: SRC
  note: "made up"
)";

// A valid mixture-of-experts workload with multi-head latent attention (lines 1-19 as above but
// kv_heads 8 and head_dim 48 = 32 + 16).
constexpr std::string_view moe_template = R"(id: test_model
name: Test model
family: Test
sources:
  SRC: "a citation"
source: SRC
notes: "for tests"
layers: 4
hidden: 256
ffn: 1024
heads: 8
kv_heads: 8
head_dim: 48
vocab: 1000
seq_len: 128
mlp: swiglu
positions: rotary
tied_embeddings: false
biases: false
moe:
  experts: 8
  top_k: 2
  shared_experts: 1
  expert_ffn: 128
  dense_layers: 1
mla:
  q_lora_rank: 64
  kv_lora_rank: 32
  qk_nope_head_dim: 32
  qk_rope_head_dim: 16
  v_head_dim: 32
)";

const std::string template_file = "models/workloads/test_model.yaml";

std::string corrupt(std::string_view text, std::string_view from, std::string_view to) {
    std::string out(text);
    const auto at = out.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "'", from, "' is not in the template");
    out.replace(at, from.size(), to);
    return out;
}

struct Decoded {
    std::optional<catalog::WorkloadSpec> workload;
    std::vector<diag::Diagnostic> diagnostics;
};

Decoded decode(const std::string& text, const std::string& name = template_file) {
    diag::Diagnostics diags;
    Decoded d;
    d.workload = scenario::decode_workload_text(text, name, diags);
    d.diagnostics = diags.sorted();
    return d;
}

// Exactly `count` problems (default one), one of which is at LINE:COL with the key path and a
// message containing `fragment`; no workload comes back.
void expect_error(std::string_view tmpl, std::string_view from, std::string_view to, int line, int column,
                  const std::string& key_path, std::string_view fragment, std::size_t count = 1) {
    const auto d = decode(corrupt(tmpl, from, to));
    std::string all;
    for (const auto& x : d.diagnostics) all += diag::format(x) + "\n";
    INFO("corruption: '", from, "' -> '", to, "'\ndiagnostics:\n", all);
    CHECK(!d.workload);
    CHECK(d.diagnostics.size() == count);
    const bool found = std::any_of(d.diagnostics.begin(), d.diagnostics.end(), [&](const diag::Diagnostic& x) {
        return x.where.file == template_file && x.where.line == line && x.where.column == column &&
               x.key_path == key_path && x.message.find(fragment) != std::string::npos;
    });
    CHECK(found);
}

}  // namespace

// ---------------------------------------------------------------- the committed files

TEST_CASE("workload: every file in models/workloads/ loads without a diagnostic") {
    const auto files = workload_files();
    REQUIRE(files.size() >= 30);
    for (const auto& f : files) {
        INFO(f.string());
        diag::Diagnostics diags;
        const auto w = scenario::decode_workload(f, diags);
        std::string all;
        for (const auto& x : diags.sorted()) all += diag::format(x) + "\n";
        INFO(all);
        CHECK(diags.empty());
        REQUIRE(w);
        CHECK(w->id == f.stem().string());
        CHECK(!w->name.empty());
        CHECK(!w->family.empty());
        CHECK(!w->notes.empty());
        CHECK(w->sources.count(w->source) == 1);
        for (const auto& [id, citation] : w->sources) CHECK(citation.size() > 40);  // a full citation, not a label
        // Every committed workload states its published size and what that count includes.
        CHECK(w->published_params.has_value());
        CHECK(!w->published_params_note.empty());
    }
    // The catalog holds exactly these, by id.
    const auto& cat = test::source_catalog();
    std::vector<std::string> stems;
    for (const auto& f : files) stems.push_back(f.stem().string());
    CHECK(cat.workload_ids() == stems);
}

TEST_CASE("workload: the catalog has the workloads the validation rows name") {
    const std::vector<std::string> ids{
        "megatron_gpt_1.7b", "megatron_gpt_3.6b", "megatron_gpt_7.5b", "megatron_gpt_18.4b", "megatron_gpt_39.1b",
        "megatron_gpt_76.1b", "megatron_gpt_145.6b", "megatron_gpt_310.1b", "megatron_gpt_529.6b", "megatron_gpt_1t",
        "korthikanti_gpt_22b", "gpt3_175b", "korthikanti_gpt_530b", "korthikanti_gpt_1t", "mtnlg_530b",
        "llama3_8b", "llama3_70b", "llama3_405b", "llama2_7b", "llama2_13b", "llama2_70b",
        "mpt_7b", "mpt_13b", "mpt_30b", "mpt_70b", "palm_540b", "opt_175b", "bloom_176b",
        "deepseek_v3", "mixtral_8x7b", "mixtral_8x22b", "qwen3_235b_a22b", "pangu_ultra_moe",
        "llama_33b", "codellama_34b", "qwen2_72b", "qwen15_110b", "qwen15_72b", "qwen2_7b"};
    const auto& cat = test::source_catalog();
    for (const auto& id : ids) {
        INFO(id);
        CHECK(cat.workloads.count(id) == 1);
    }
    CHECK(cat.workloads.size() == ids.size());
}

TEST_CASE("workload: decoded values of dense models match their sources") {
    // Llama 3 paper Table 3 and the released config (vocabulary 128,256).
    const auto& l70 = workload("llama3_70b");
    CHECK(l70.layers == 80);
    CHECK(l70.hidden == 8192);
    CHECK(l70.ffn == 28672);
    CHECK(l70.heads == 64);
    CHECK(l70.kv_heads == 8);
    CHECK(l70.head_dim == 128);
    CHECK(l70.vocab == 128256);
    CHECK(l70.seq_len == 8192);
    CHECK(l70.mlp == catalog::MlpKind::swiglu);
    CHECK(l70.positions == catalog::PositionKind::rotary);
    CHECK(!l70.tied_embeddings);
    CHECK(!l70.biases);
    CHECK(!l70.moe);
    CHECK(!l70.mla);
    CHECK(*l70.published_params == doctest::Approx(70.6e9));
    CHECK(l70.published_params_note.find("(source HF-70B)") != std::string::npos);

    // PaLM Table 1 and section 2: multi-query attention with heads of 256, SwiGLU of 4 x d_model.
    const auto& palm = workload("palm_540b");
    CHECK(palm.kv_heads == 1);
    CHECK(palm.head_dim == 256);
    CHECK(palm.ffn == 4 * palm.hidden);
    CHECK(palm.tied_embeddings);
    CHECK(*palm.published_params == doctest::Approx(540.35e9));

    // GPT-3 175B in its Megatron-LM form: GeLU, learned positions, biases, tied output layer.
    const auto& gpt3 = workload("gpt3_175b");
    CHECK(gpt3.layers == 96);
    CHECK(gpt3.hidden == 12288);
    CHECK(gpt3.vocab == 51200);
    CHECK(gpt3.mlp == catalog::MlpKind::gelu);
    CHECK(gpt3.positions == catalog::PositionKind::learned);
    CHECK(gpt3.tied_embeddings);
    CHECK(gpt3.biases);

    // BLOOM: ALiBi, padded vocabulary of the released model.
    const auto& bloom = workload("bloom_176b");
    CHECK(bloom.positions == catalog::PositionKind::alibi);
    CHECK(bloom.vocab == 250880);
    CHECK(*bloom.published_params == doctest::Approx(176247271424.0));
}

TEST_CASE("workload: decoded values of mixture-of-experts models match their sources") {
    // DeepSeek-V3 report section 4.2 and config_671B.json.
    const auto& ds = workload("deepseek_v3");
    CHECK(ds.layers == 61);
    CHECK(ds.hidden == 7168);
    CHECK(ds.ffn == 18432);
    CHECK(ds.heads == 128);
    CHECK(ds.kv_heads == 128);
    CHECK(ds.vocab == 129280);
    REQUIRE(ds.moe);
    CHECK(ds.moe->experts == 256);
    CHECK(ds.moe->top_k == 8);
    CHECK(ds.moe->shared_experts == 1);
    CHECK(ds.moe->expert_ffn == 2048);
    CHECK(ds.moe->dense_layers == 3);
    REQUIRE(ds.mla);
    CHECK(ds.mla->q_lora_rank == 1536);
    CHECK(ds.mla->kv_lora_rank == 512);
    CHECK(ds.mla->qk_nope_head_dim == 128);
    CHECK(ds.mla->qk_rope_head_dim == 64);
    CHECK(ds.mla->v_head_dim == 128);
    CHECK(ds.head_dim == ds.mla->qk_nope_head_dim + ds.mla->qk_rope_head_dim);
    CHECK(*ds.published_params == doctest::Approx(671e9));
    CHECK(ds.mtp_depth == 1);  // report section 4.2: "multi-token prediction depth 1"
    CHECK(workload("pangu_ultra_moe").mtp_depth == 1);  // openPangu config num_mtp_layers 1
    CHECK(workload("mixtral_8x7b").mtp_depth == 0);      // absent: none

    // Mixtral 8x7B paper Table 1: every layer is MoE, 2 of 8 experts, no shared expert.
    const auto& mx = workload("mixtral_8x7b");
    REQUIRE(mx.moe);
    CHECK(mx.moe->experts == 8);
    CHECK(mx.moe->top_k == 2);
    CHECK(mx.moe->shared_experts == 0);
    CHECK(mx.moe->dense_layers == 0);
    CHECK(mx.kv_heads == 8);
    CHECK(!mx.mla);

    // Qwen3-235B-A22B: 64 query heads of 128 on a hidden size of 4096.
    const auto& qw = workload("qwen3_235b_a22b");
    CHECK(qw.heads * qw.head_dim == 2 * qw.hidden);
    REQUIRE(qw.moe);
    CHECK(qw.moe->experts == 128);
    CHECK(qw.moe->expert_ffn == 1536);
}

TEST_CASE("workload: SC21 Table 1 sizes follow from the transcribed shapes (SC21 section 3.5)") {
    // P = 12 l h^2 (1 + 13/(12h) + (V+s)/(12 l h)), Table 1 rounds P to 0.1 billion.
    for (const auto* id : {"megatron_gpt_1.7b", "megatron_gpt_3.6b", "megatron_gpt_7.5b", "megatron_gpt_18.4b",
                           "megatron_gpt_39.1b", "megatron_gpt_76.1b", "megatron_gpt_145.6b", "megatron_gpt_310.1b",
                           "megatron_gpt_529.6b", "megatron_gpt_1t"}) {
        const auto& w = workload(id);
        INFO(id);
        const double l = static_cast<double>(w.layers);
        const double h = static_cast<double>(w.hidden);
        const double p = 12.0 * l * h * h *
                         (1.0 + 13.0 / (12.0 * h) + static_cast<double>(w.vocab + w.seq_len) / (12.0 * l * h));
        CHECK(std::abs(p - *w.published_params) <= 0.0500001e9);
        CHECK(w.ffn == 4 * w.hidden);
        CHECK(w.head_dim * w.heads == w.hidden);
    }
}

TEST_CASE("workload: llm-foundry's MPT NumParams follow exactly from the transcribed shapes") {
    // The benchmarked MPT models (learned positions, biases, LayerNorm with bias, shared embedding):
    // 12 l h^2 (weights) + 13 l h (biases and LayerNorms) + 2 h (final LayerNorm) + V h + s h.
    for (const auto* id : {"mpt_7b", "mpt_13b", "mpt_30b", "mpt_70b"}) {
        const auto& w = workload(id);
        INFO(id);
        const std::int64_t l = w.layers;
        const std::int64_t h = w.hidden;
        const std::int64_t p = 12 * l * h * h + 13 * l * h + 2 * h + w.vocab * h + w.seq_len * h;
        CHECK(static_cast<double>(p) == *w.published_params);
    }
}

// ---------------------------------------------------------------- the CLI

TEST_CASE("workload: 'list workloads' prints one row per workload") {
    const auto r = cli({"list", "workloads"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("params") != std::string::npos);
    for (const auto& id : test::source_catalog().workload_ids()) CHECK(r.out.find(id) != std::string::npos);
    CHECK(r.out.find("MoE, 8 of 256 experts + 1 shared") != std::string::npos);
    CHECK(r.out.find("70.6 B") != std::string::npos);
}

TEST_CASE("workload: 'show workload' prints every field and the sources") {
    const auto r = cli({"show", "workload", "deepseek_v3"});
    INFO(r.err);
    CHECK(r.code == 0);
    for (const auto* fragment :
         {"DeepSeek-V3 (deepseek_v3, family DeepSeek)", "architecture (source DSV3)", "kv_lora_rank", "qk_rope_head_dim",
          "multi-head latent attention", "dense_layers           3 (then 58 MoE layers)", "published parameters: 671000000000 (671 B)",
          "sources:", "DSV3-CFG: deepseek-ai/DeepSeek-V3"}) {
        INFO(fragment);
        CHECK(r.out.find(fragment) != std::string::npos);
    }
    const auto dense = cli({"show", "workload", "llama3_70b"});
    CHECK(dense.code == 0);
    CHECK(dense.out.find("grouped-query attention, 8 query heads per key-value head") != std::string::npos);
    CHECK(dense.out.find("mixture of experts: none (dense)") != std::string::npos);
}

TEST_CASE("workload: 'show workload' with an unknown id suggests the closest") {
    const auto r = cli({"show", "workload", "llama3_70"});
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("error: unknown workload 'llama3_70' (did you mean 'llama3_70b'?); valid: bloom_176b, ", 0) == 0);
}

TEST_CASE("workload: run.json's catalog files include the workload files") {
    const auto files = scenario::catalog_files(test::models_dir());
    const auto n = std::count_if(files.begin(), files.end(),
                                 [](const fs::path& f) { return f.parent_path().filename() == "workloads"; });
    CHECK(static_cast<std::size_t>(n) == workload_files().size());
}

// ---------------------------------------------------------------- bad workload files

TEST_CASE("workload: the error-test templates are valid") {
    for (const auto tmpl : {dense_template, moe_template}) {
        const auto d = decode(std::string(tmpl));
        CHECK(d.diagnostics.empty());
        REQUIRE(d.workload);
        CHECK(d.workload->id == "test_model");
    }
    const auto moe = decode(std::string(moe_template));
    REQUIRE(moe.workload);
    REQUIRE(moe.workload->moe);
    CHECK(moe.workload->moe->dense_layers == 1);
    REQUIRE(moe.workload->mla);
    CHECK(moe.workload->mla->v_head_dim == 32);
    CHECK(!moe.workload->published_params);
}

TEST_CASE("workload: an unknown key, with a suggestion; the misspelt key is not also missing") {
    expect_error(dense_template, "layers: 4", "layer: 4", 8, 1, "",
                 "unknown key 'layer' (did you mean 'layers'?); valid keys: id, name, family");
}

TEST_CASE("workload: a missing required key") {
    expect_error(dense_template, "vocab: 1000\n", "", 1, 1, "", "missing key 'vocab' (vocabulary size (embedding rows))");
    expect_error(dense_template, "source: SRC\nnotes", "notes", 1, 1, "",
                 "missing key 'source' (the key of 'sources' the architecture comes from)");
}

TEST_CASE("workload: id must equal the file name") {
    expect_error(dense_template, "id: test_model", "id: other_model", 1, 5, "id",
                 "id 'other_model' must equal the file name 'test_model'");
}

TEST_CASE("workload: the architecture source must be a key of 'sources'") {
    expect_error(dense_template, "source: SRC\nnotes", "source: SCR\nnotes", 6, 9, "source",
                 "unknown source 'SCR' (did you mean 'SRC'?); this file's sources: SRC");
}

TEST_CASE("workload: the published-parameters source must be a key of 'sources'") {
    expect_error(dense_template, "  source: SRC", "  source: PAPER", 22, 11, "published_params.source",
                 "unknown source 'PAPER'; this file's sources: SRC");
}

TEST_CASE("workload: 'sources' must not be empty") {
    // Two problems: no source at all, and so `source: SRC` names none.
    expect_error(dense_template, "sources:\n  SRC: \"a citation\"\n", "sources: {}\n", 4, 10, "sources",
                 "at least one source is needed", 3);
    expect_error(dense_template, "sources:\n  SRC: \"a citation\"\n", "sources: {}\n", 5, 9, "source",
                 "unknown source 'SRC'; this file's sources: none", 3);
}

TEST_CASE("workload: heads must be a multiple of kv_heads, and kv_heads at most heads") {
    expect_error(dense_template, "kv_heads: 2", "kv_heads: 3", 12, 11, "kv_heads",
                 "heads 8 is not a multiple of kv_heads 3 (each key-value head serves the same number of query heads)");
    expect_error(dense_template, "kv_heads: 2", "kv_heads: 16", 12, 11, "kv_heads", "kv_heads 16 exceeds heads 8");
}

TEST_CASE("workload: a count must be a whole number of at least 1 and plausible") {
    expect_error(dense_template, "layers: 4", "layers: 0", 8, 9, "layers", "must be at least 1, got 0");
    expect_error(dense_template, "hidden: 256", "hidden: 256.5", 9, 9, "hidden", "expected an integer, got '256.5'");
    expect_error(dense_template, "hidden: 256", "hidden: \"256 B\"", 9, 9, "hidden", "expected an integer, got '256 B'");
    expect_error(dense_template, "vocab: 1000", "vocab: 1000000000", 14, 8, "vocab",
                 "1000000000 is not a plausible vocab (at most 100000000)");
    expect_error(dense_template, "vocab: 1000", "vocab: 1000\nmtp_depth: -1", 15, 12, "mtp_depth", "must be at least 0, got -1");
}

TEST_CASE("workload: mlp, positions and the booleans are fixed words") {
    expect_error(dense_template, "mlp: swiglu", "mlp: relu", 16, 6, "mlp", "'relu' is not valid (did you mean 'gelu'?); valid: gelu, swiglu");
    expect_error(dense_template, "positions: rotary", "positions: sinusoidal", 17, 12, "positions",
                 "'sinusoidal' is not valid; valid: learned, rotary, alibi, none");
    expect_error(dense_template, "tied_embeddings: false", "tied_embeddings: yes", 18, 18, "tied_embeddings",
                 "'yes' is not valid; valid: true, false");
    expect_error(dense_template, "biases: false", "biases: [false]", 19, 9, "biases", "expected a string, got a list");
}

TEST_CASE("workload: published_params is a mapping with a plain number") {
    expect_error(dense_template, "  value: 1.5e7", "  value: 15M", 21, 10, "published_params.value",
                 "expected a plain number of parameters like 70.6e9 (no unit or suffix), got '15M'");
    expect_error(dense_template, "  value: 1.5e7", "  value: 0", 21, 10, "published_params.value",
                 "a parameter count must be at least 1, got 0");
    expect_error(dense_template, "  value: 1.5e7", "  value: [1]", 21, 10, "published_params.value",
                 "expected a number of parameters like 70.6e9, got a list");
    expect_error(dense_template, "  value: 1.5e7\n", "", 21, 3, "published_params",
                 "missing key 'value' (total parameters as published, a plain number like 70.6e9)");
    expect_error(dense_template, "published_params:\n  value: 1.5e7\n  source: SRC\n  note: \"made up\"\n",
                 "published_params: 1.5e7\n", 20, 19, "published_params", "expected a mapping of keys, got a scalar");
}

TEST_CASE("workload: moe keys, top_k and dense_layers") {
    expect_error(moe_template, "  top_k: 2", "  topk: 2", 22, 3, "moe",
                 "unknown key 'topk' (did you mean 'top_k'?); valid keys: experts, top_k");
    expect_error(moe_template, "  expert_ffn: 128\n", "", 21, 3, "moe", "missing key 'expert_ffn' (FFN size of one expert)");
    expect_error(moe_template, "  top_k: 2", "  top_k: 9", 22, 10, "moe.top_k", "top_k 9 exceeds the 8 routed experts");
    expect_error(moe_template, "  dense_layers: 1", "  dense_layers: 4", 25, 17, "moe.dense_layers",
                 "dense_layers 4 must be fewer than the 4 layers (a mixture-of-experts workload needs at least one MoE layer");
    expect_error(moe_template, "  shared_experts: 1", "  shared_experts: -1", 23, 19, "moe.shared_experts",
                 "must be at least 0, got -1");
}

TEST_CASE("workload: group-limited routing takes both keys, equal groups, and room for top_k") {
    auto groups = [](std::string_view g, std::string_view per_token) {
        return "  dense_layers: 1\n  expert_groups: " + std::string(g) + "\n  groups_per_token: " + std::string(per_token);
    };
    expect_error(moe_template, "  dense_layers: 1", groups("3", "1"), 26, 18, "moe.expert_groups",
                 "expert_groups 3 does not divide the 8 routed experts (the groups are equal)");
    expect_error(moe_template, "  dense_layers: 1", groups("4", "5"), 27, 21, "moe.groups_per_token",
                 "groups_per_token 5 exceeds the 4 expert_groups");
    expect_error(moe_template, "  dense_layers: 1", groups("8", "1"), 27, 21, "moe.groups_per_token",
                 "1 groups of 1 experts hold fewer than top_k 2");
    expect_error(moe_template, "  dense_layers: 1", "  dense_layers: 1\n  expert_groups: 4", 21, 3, "moe",
                 "missing key 'groups_per_token'");
}

TEST_CASE("workload: mla fixes head_dim and kv_heads") {
    expect_error(moe_template, "head_dim: 48", "head_dim: 32", 13, 11, "head_dim",
                 "with mla, head_dim is the query-key size qk_nope_head_dim + qk_rope_head_dim = 48, got 32");
    expect_error(moe_template, "kv_heads: 8", "kv_heads: 4", 12, 11, "kv_heads",
                 "with mla, kv_heads must equal heads (8): every head gets its own keys and values from the compressed latent, got 4");
    expect_error(moe_template, "  qk_nope_head_dim: 32\n  qk_rope_head_dim: 16",
                 "  qk_nope_head_dim: 0\n  qk_rope_head_dim: 0", 27, 3, "mla",
                 "qk_nope_head_dim + qk_rope_head_dim must be at least 1");
    expect_error(moe_template, "  kv_lora_rank: 32", "  kv_lora_rank: 0", 28, 17, "mla.kv_lora_rank",
                 "must be at least 1, got 0");
}

TEST_CASE("workload: every problem of a file is reported at once") {
    auto text = corrupt(dense_template, "layers: 4", "layers: many");
    text = corrupt(text, "mlp: swiglu", "mlp: swiglue");
    text = corrupt(text, "kv_heads: 2", "kv_heads: 3");
    const auto d = decode(text);
    CHECK(!d.workload);
    REQUIRE(d.diagnostics.size() == 3);
    CHECK(d.diagnostics[0].key_path == "layers");
    CHECK(d.diagnostics[1].key_path == "kv_heads");
    CHECK(d.diagnostics[2].message == "'swiglue' is not valid (did you mean 'swiglu'?); valid: gelu, swiglu");
}

TEST_CASE("workload: a file that is not a mapping") {
    const auto d = decode("- layers\n- hidden\n");
    REQUIRE(d.diagnostics.size() == 1);
    CHECK(diag::format(d.diagnostics[0]) == template_file + ":1:1: error: expected a mapping of keys, got a list");
}

TEST_CASE("workload: a bad workload file makes every catalog command fail with exit 3") {
    TempDir tmp;
    const auto models = make_catalog(tmp, {{"test_model.yaml", corrupt(dense_template, "kv_heads: 2", "kv_heads: 3")}});
    const auto r = cli({"list", "workloads"}, models);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    const std::string file = (models / "workloads" / "test_model.yaml").string();
    CHECK(r.err == file + ":12:11: error: kv_heads: heads 8 is not a multiple of kv_heads 3 (each key-value head serves "
                          "the same number of query heads)\n1 error\n");
}

TEST_CASE("workload: two files for one workload id") {
    TempDir tmp;
    const std::string text(dense_template);
    const auto models = make_catalog(tmp, {{"test_model.yaml", text}, {"test_model.yml", text}});
    try {
        (void)scenario::load_catalog(models);
        FAIL("expected an InputError");
    } catch (const diag::InputError& e) {
        REQUIRE(e.diagnostics().size() == 1);
        CHECK(e.diagnostics()[0].message == "a second file for workload 'test_model' (.yaml and .yml)");
    }
}

TEST_CASE("workload: a catalog without workloads/ has no workloads; one with them loads them") {
    TempDir tmp;
    const auto models = make_catalog(tmp, {{"test_model.yaml", std::string(moe_template)}});
    const auto cat = scenario::load_catalog(models);
    REQUIRE(cat.workloads.size() == 1);
    CHECK(cat.workloads.at("test_model")->moe->experts == 8);
    fs::remove_all(models / "workloads");
    CHECK(scenario::load_catalog(models).workloads.empty());
    CHECK(cli({"list", "workloads"}, models).code == 0);
}

TEST_CASE("workload: load_workload reads one file and throws every problem") {
    TempDir tmp;
    const auto models = make_catalog(tmp, {{"test_model.yaml", std::string(dense_template)},
                                           {"bad_model.yaml", corrupt(dense_template, "layers: 4", "layers: 0")}});
    const auto w = scenario::load_workload(models / "workloads" / "test_model.yaml");
    CHECK(w.layers == 4);
    CHECK(w.published_params_note == "made up (source SRC)");
    CHECK_THROWS_AS((void)scenario::load_workload(models / "workloads" / "bad_model.yaml"), diag::InputError);
    CHECK_THROWS_AS((void)scenario::load_workload(models / "workloads" / "missing.yaml"), diag::IoError);
}

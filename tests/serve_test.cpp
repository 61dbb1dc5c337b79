// The serving model (sim/serve): KV cache closed forms, the decode and prefill steps, the batch
// search under latency limits, and the CloudMatrix-Infer reproduction.
#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <variant>

#include "catalog/chip.hpp"
#include "comm/cost.hpp"
#include "run/runner.hpp"
#include "scenario/scenario_loader.hpp"
#include "serve/model.hpp"
#include "test_support.hpp"
#include "topo/topology.hpp"

using namespace clustersim;

namespace {

std::unique_ptr<train::TrainingCluster> system_cluster(const std::string& id) {
    const auto& cat = test::source_catalog();
    const auto& sys = cat.systems.at(id);
    const auto chip = catalog::apply_overrides(cat.chips.at(sys.chip_id), sys.chip_overrides);
    auto graph = std::make_shared<const topo::Topology>(topo::build(sys.topology->params));
    auto made = run::make_training_cluster(chip, sys.chip_count.value.value(), graph);
    REQUIRE(std::holds_alternative<std::unique_ptr<train::TrainingCluster>>(made));
    return std::move(std::get<std::unique_ptr<train::TrainingCluster>>(made));
}

serve::ServingSpec deepseek_cm384() {
    serve::ServingSpec s;
    s.workload = test::source_catalog().workloads.at("deepseek_v3");
    s.weights = chip::DType::int8;
    s.kv_cache = chip::DType::int8;
    s.prompt_tokens = 4096;
    s.output_tokens = 256;
    s.speculation = {1, 0.7};
    s.prefill = {16, 2, 1, 32, 2};
    s.decode = {160, 2, 1, 320, 48};
    s.execution.overlap_comm = true;
    s.execution.dispatch_bytes = 1;
    return s;
}


serve::ServingSpec llama8b_h100() {
    serve::ServingSpec s;
    s.workload = test::source_catalog().workloads.at("llama3_8b");
    s.weights = chip::DType::bf16;
    s.prompt_tokens = 1024;
    s.output_tokens = 256;
    s.prefill = {1, 1, 1, 1, 1};
    s.decode = {1, 1, 1, 1, 1};
    return s;
}

/// One rank's INT8 DeepSeek-V3 step with whole experts over `ranks` ranks (ep = ranks, tp 1).
serve::StepShape deepseek_int8_shape(serve::Phase phase, std::int64_t sequences, std::int64_t query_tokens,
                                     std::int64_t context, std::int64_t ranks) {
    serve::StepShape s;
    s.phase = phase;
    s.sequences = sequences;
    s.query_tokens = query_tokens;
    s.context = context;
    s.ranks = ranks;
    s.ep = ranks;
    s.weights = chip::DType::int8;
    return s;
}

/// A case of SGLang's 32-H100 DeepSeek-R1 deployment (EP32, FP8 with block scales, FP8 dispatch) with
/// `execution_extra` appended to its execution mapping.
std::string sglang_h100_case(const std::string& name, const std::string& execution_extra) {
    return "  - name: " + name + R"(
    system: hgx_h100_ib_cluster
    count: 32
    serving:
      workload: deepseek_v3
      weights: fp8
      prompt_tokens: 4096
      output_tokens: 256
      prefill: {chips: 32, tp: 1, ep: 32, batch: 4}
      decode: {chips: 32, tp: 1, ep: 32, batch: 64}
      execution: {dispatch: fp8, fp8_scaling: block, )" + execution_extra + "}\n";
}

/// The phase's result by value (the variant is usually a temporary).
serve::PhaseResult phase_of(const std::variant<serve::PhaseResult, train::Rejection>& r) {
    if (const auto* rej = std::get_if<train::Rejection>(&r)) FAIL(rej->reason);
    return std::get<serve::PhaseResult>(r);
}

}  // namespace

// formulas.md, "Serving": 2 L n_kv d_head bytes (MHA, GQA); L (d_c + d_rope) bytes (MLA).
TEST_CASE("serve: KV cache per token equals the closed forms for MHA, GQA and MLA") {
    const auto& w = test::source_catalog().workloads;
    using chip::DType;
    // GPT-3 175B, multi-head: 96 layers, 96 heads of 128, BF16.
    CHECK(serve::kv_bytes_per_token(*w.at("gpt3_175b"), 1, DType::bf16) == 2.0 * 96 * 96 * 128 * 2);
    // ... split over tp 8: 12 heads per rank.
    CHECK(serve::kv_bytes_per_token(*w.at("gpt3_175b"), 8, DType::bf16) == 2.0 * 96 * 12 * 128 * 2);
    // Llama 3 70B, grouped-query: 80 layers, 8 key-value heads of 128: 320 KiB per token in BF16.
    CHECK(serve::kv_bytes_per_token(*w.at("llama3_70b"), 1, DType::bf16) == 2.0 * 80 * 8 * 128 * 2);
    CHECK(serve::kv_bytes_per_token(*w.at("llama3_70b"), 1, DType::fp8) == 2.0 * 80 * 8 * 128);
    // tp 8: one key-value head per rank; tp 16: still one (replicated).
    CHECK(serve::kv_bytes_per_token(*w.at("llama3_70b"), 8, DType::bf16) == 2.0 * 80 * 1 * 128 * 2);
    CHECK(serve::kv_bytes_per_token(*w.at("llama3_70b"), 16, DType::bf16) == 2.0 * 80 * 1 * 128 * 2);
    // DeepSeek-V3, latent: 61 layers x (512 + 64), replicated over tp.
    CHECK(serve::kv_bytes_per_token(*w.at("deepseek_v3"), 1, DType::bf16) == 61.0 * 576 * 2);
    CHECK(serve::kv_bytes_per_token(*w.at("deepseek_v3"), 8, DType::int8) == 61.0 * 576);
}

TEST_CASE("serve: absorbed MLA reads the latent once; its FLOPs count both head sizes") {
    chip::ChipModel c;
    c.id = "test";
    c.peak_flop_per_s[0] = 1e15;
    c.hbm_bytes_per_s = 1e12;
    c.attention_efficiency = 1;
    c.memory_efficiency = 1;
    chip::Attention a;
    a.batch = 4;
    a.heads_q = 128;
    a.heads_kv = 1;
    a.head_dim = 576;
    a.head_dim_v = 512;
    a.shared_kv = true;
    a.seq_q = 1;
    a.seq_kv = 4096;
    a.kv_dtype = chip::DType::int8;
    const auto cost = chip::cost(c, a);
    // K read once, 1 byte per element; Q (576) and O (512) per head in BF16.
    CHECK(cost.bytes == doctest::Approx(4.0 * 4096 * 576 * 1 + 4.0 * 128 * (576 + 512) * 2));
    CHECK(cost.flops == doctest::Approx(2.0 * 4 * 128 * (576 + 512) * 4096));
}

TEST_CASE("serve: decode at batch 1 is bound by HBM bandwidth: weights and KV over the bandwidth") {
    auto cluster = system_cluster("hgx_h100_8gpu");
    const auto spec = llama8b_h100();
    const auto& r = phase_of(serve::evaluate(spec, serve::Phase::decode, spec.decode, *cluster));
    CHECK(r.limiting_resource == serve::Resource::hbm_bandwidth);
    const auto& chip = cluster->chip();
    // The step reads every weight and the sequence's KV cache at least once.
    const double kv = serve::kv_bytes_per_token(*spec.workload, 1, spec.kv_cache) * (1024 + 128 + 1);
    const double floor_s = (r.memory.weights + kv) / (chip.hbm_bytes_per_s * chip.memory_efficiency);
    CHECK(r.time.step_s >= floor_s);
    CHECK(r.time.memory_s >= 0.9 * floor_s);
    // ... and little else: kernel overheads and the small compute of one token.
    CHECK(r.time.step_s <= 1.25 * floor_s);
    // 16 GB of BF16 weights at about 3 TB/s: 5 to 7 ms per token.
    CHECK(r.memory.weights == doctest::Approx(2.0 * 8.03e9).epsilon(0.02));
    CHECK(r.latency_s == r.time.step_s);
}

TEST_CASE("serve: relaxing the latency limit never lowers the best throughput") {
    auto cluster = system_cluster("hgx_h100_8gpu");
    auto spec = llama8b_h100();
    spec.decode.batch = 0;
    double last = 0;
    std::int64_t last_batch = 0;
    for (const double limit_ms : {6.0, 7.0, 8.0, 10.0, 15.0, 25.0, 50.0, 100.0}) {
        spec.tpot_limit_s = limit_ms * 1e-3;
        const auto r = serve::best(spec, serve::Phase::decode, spec.decode, *cluster);
        if (std::holds_alternative<train::Rejection>(r)) {
            CHECK(last == 0);  // only the tightest limits may admit no batch
            continue;
        }
        const auto& p = std::get<serve::PhaseResult>(r);
        CHECK(p.latency_s <= limit_ms * 1e-3);
        CHECK(p.tokens_per_s_per_chip >= last);
        CHECK(p.plan.batch >= last_batch);
        last = p.tokens_per_s_per_chip;
        last_batch = p.plan.batch;
    }
    CHECK(last > 0);
    // Without a limit the batch grows until HBM is full (or the search's largest batch).
    spec.tpot_limit_s.reset();
    const auto& open = phase_of(serve::best(spec, serve::Phase::decode, spec.decode, *cluster));
    CHECK(open.tokens_per_s_per_chip >= last);
    CHECK((open.batch_limit == serve::BatchLimit::hbm_capacity || open.batch_limit == serve::BatchLimit::search_limit ||
           open.batch_limit == serve::BatchLimit::throughput_peak));
    CHECK(open.memory.total() <= open.usable_hbm_bytes);
}

TEST_CASE("serve: the searched batch is the largest that fits when nothing else limits it") {
    auto cluster = system_cluster("hgx_h100_8gpu");
    auto spec = llama8b_h100();
    spec.prompt_tokens = 32768;  // 4 GiB of KV per sequence: HBM fills at a few sequences
    spec.output_tokens = 1024;
    spec.decode.batch = 0;
    const auto& r = phase_of(serve::best(spec, serve::Phase::decode, spec.decode, *cluster));
    CHECK(r.batch_limit == serve::BatchLimit::hbm_capacity);
    CHECK(r.plan.batch == r.max_batch);
    auto bigger = spec.decode;
    bigger.batch = r.plan.batch + 1;
    const auto& over = phase_of(serve::evaluate(spec, serve::Phase::decode, bigger, *cluster));
    CHECK(over.memory.total() > over.usable_hbm_bytes);
}

TEST_CASE("serve: more HBM bandwidth never slows decode; speculation yields 1 + a + ... + a^d tokens per step") {
    serve::Speculation sp{1, 0.7};
    CHECK(sp.tokens_per_step() == doctest::Approx(1.7));
    sp = {2, 0.5};
    CHECK(sp.tokens_per_step() == doctest::Approx(1.75));
    CHECK(serve::Speculation{}.tokens_per_step() == 1.0);

    auto spec = llama8b_h100();
    spec.decode.batch = 32;
    auto cluster = system_cluster("hgx_h100_8gpu");
    const auto& base = phase_of(serve::evaluate(spec, serve::Phase::decode, spec.decode, *cluster));
    auto faster = cluster->chip();
    faster.hbm_bytes_per_s *= 1.5;
    train::TrainingCluster fast(faster, cluster->hbm_bytes(), cluster->chips(),
                                std::make_shared<const topo::Topology>(cluster->topology()), comm::CostModel{});
    const auto& quick = phase_of(serve::evaluate(spec, serve::Phase::decode, spec.decode, fast));
    CHECK(quick.time.step_s < base.time.step_s);
}

TEST_CASE("serve: a plan that cannot run says why") {
    auto cluster = system_cluster("hgx_h100_8gpu");
    auto spec = llama8b_h100();
    auto bad = spec.decode;
    bad.chips = 8;
    bad.tp = 3;
    auto r = serve::evaluate(spec, serve::Phase::decode, bad, *cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(r));
    CHECK(std::get<train::Rejection>(r).reason == "decode: tp 3 does not divide the 8 ranks");
    bad.tp = 1;
    bad.ep = 8;
    r = serve::evaluate(spec, serve::Phase::decode, bad, *cluster);
    CHECK(std::get<train::Rejection>(r).reason == "decode: ep > 1 needs a mixture-of-experts workload");
    bad.ep = 1;
    bad.chips = 16;
    r = serve::evaluate(spec, serve::Phase::decode, bad, *cluster);
    CHECK(std::get<train::Rejection>(r).reason == "the decode instance needs 16 chips, the cluster has 8");
    spec.prompt_tokens = 1 << 22;  // one sequence's KV cache alone exceeds HBM
    spec.decode.batch = 0;
    r = serve::best(spec, serve::Phase::decode, spec.decode, *cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(r));
    CHECK(std::get<train::Rejection>(r).category == "memory");
    CHECK(std::get<train::Rejection>(r).reason.find("decode: one sequence per rank does not fit: it needs ") == 0);
    spec.prompt_tokens = 1024;
    spec.tpot_limit_s = 1e-6;  // nothing decodes a token in a microsecond
    r = serve::best(spec, serve::Phase::decode, spec.decode, *cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(r));
    CHECK(std::get<train::Rejection>(r).category == "latency");
    CHECK(std::get<train::Rejection>(r).reason.find("decode: no batch meets the time-per-output-token limit of 1 us") == 0);
}

TEST_CASE("serve: expert dispatch holds the compute units of the dispatch library's kernels") {
    // DeepEP on Hopper: its normal kernels (prefill) run on 24 of the 132 SMs, its low-latency kernels
    // (decode) hold none in flight; NCCL's collectives hold 16. CloudMatrix's FusedDispatch over UB runs
    // its overlapped transfers on DMA engines: no AI cores.
    using K = train::TrainingCluster::DispatchKernels;
    auto h100 = system_cluster("hgx_h100_ib_cluster");
    const auto ep32 = comm::Placement::contiguous(32, 1);  // four 8-GPU nodes
    CHECK(h100->dispatch_compute_share(ep32, K::normal) == doctest::Approx(24.0 / 132.0));
    CHECK(h100->dispatch_compute_share(ep32, K::low_latency) == 0.0);
    CHECK(h100->comm_compute_share(ep32) == doctest::Approx(16.0 / 132.0));
    CHECK(h100->dispatch_compute_share(comm::Placement::contiguous(8, 1), K::normal) == doctest::Approx(24.0 / 132.0));
    auto cm384 = system_cluster("cloudmatrix_384");
    CHECK(cm384->dispatch_compute_share(comm::Placement::contiguous(32, 1), K::normal) == 0.0);
    CHECK(cm384->dispatch_compute_share(comm::Placement::contiguous(32, 1), K::low_latency) == 0.0);
    // The presets as the cluster gets them: UB keeps FusedDispatch, the RDMA level (an NCCL preset HCCL
    // borrows) carries no DeepEP library.
    const auto& sys = test::source_catalog().systems.at("cloudmatrix_384");
    const auto cost = comm::preset_cost_model(topo::build(sys.topology->params), 0.0);
    REQUIRE(cost.levels.size() == 2);
    REQUIRE(cost.levels[0].one_sided.has_value());
    CHECK(cost.levels[0].one_sided->source.find("FusedDispatch") != std::string::npos);
    CHECK_FALSE(cost.levels[1].one_sided.has_value());
}

TEST_CASE("serve: overlapped prefill dispatch slows the kernels by the share DeepEP's normal kernels hold") {
    // SGLang's 32 H100 prefill (4 nodes, EP32, hierarchical dispatch): with two micro-batches the
    // communication C runs under the kernels W, which keep 108 of the 132 SMs: the layer takes
    // max(C, W + 24/132 C), and here W + f C > C, so the exposed time is f C (C from the same case
    // without overlap, within the few percent that splitting the batch in two costs).
    const std::string text = "format: 1\nscenario: overlap\ncases:\n" + sglang_h100_case("overlapped", "overlap_comm: true") +
                             sglang_h100_case("serial", "overlap_comm: false");
    const auto run = run::run_scenario(scenario::load_scenario_text(text, "overlap.yaml", test::source_catalog()));
    REQUIRE(run.cases.size() == 2);
    const auto& on = run.cases[0].serving->result->prefill;
    const auto& off = run.cases[1].serving->result->prefill;
    REQUIRE(on.overlapped);
    REQUIRE_FALSE(off.overlapped);
    CHECK(on.ep_algorithm == "hierarchical_dispatch");
    CHECK(on.time.kernels_s + off.time.ep_comm_s * 24.0 / 132 > off.time.ep_comm_s);  // the W + f C regime
    CHECK(on.time.ep_comm_s / off.time.ep_comm_s == doctest::Approx(24.0 / 132).epsilon(0.05));
}

TEST_CASE("serve: two-batch overlap pairs each exchange with the other micro-batch's next stage") {
    using serve::MoeLayerStages;
    // Every stage's kernels outlast its exchange: only the collective library's share f of each exchange shows,
    // f C in all, as the whole-layer rule max(C - W, f C) has it.
    const MoeLayerStages a{4.0, 6.0, 1.0, 2.0};
    CHECK(serve::two_batch_exposed(a, a, 0.0) == 0.0);
    CHECK(serve::two_batch_exposed(a, a, 0.25) == doctest::Approx(0.25 * 6.0));
    // Attention short against the dispatch (prefill of short prompts, a slow scale-out): the layer's exchanges
    // (C = 10 ms) are shorter than its kernels (W = 20 ms), yet the two stages whose kernels are the short
    // attention parts expose their excess, 2 x (4 - 1) = 6 ms, where the whole-layer rule hides everything.
    const MoeLayerStages s{1.0, 9.0, 4.0, 1.0};
    const MoeLayerStages t{1.0, 9.0, 1.0, 4.0};
    CHECK(serve::two_batch_exposed(s, t, 0.0) == doctest::Approx((4.0 - 1.0) + (4.0 - 1.0)));
    CHECK(train::exposed(10.0, 20.0, 0.0) == 0.0);
    // Which exchange pairs with which stage: a's dispatch under b's first part, b's under a's second part, a's
    // combine under b's second part, b's combine under a's (next) first part.
    CHECK(serve::two_batch_exposed({0, 0, 1, 0}, {5, 0, 0, 0}, 0) == 0.0);
    CHECK(serve::two_batch_exposed({0, 5, 0, 0}, {0, 0, 1, 0}, 0) == 0.0);
    CHECK(serve::two_batch_exposed({0, 0, 0, 1}, {0, 5, 0, 0}, 0) == 0.0);
    CHECK(serve::two_batch_exposed({5, 0, 0, 0}, {0, 0, 0, 1}, 0) == 0.0);
    CHECK(serve::two_batch_exposed({5, 0, 1, 0}, {0, 0, 0, 0}, 0) == 1.0);  // a's dispatch does not hide under a's own kernels
    // Never below the whole-layer rule, over a spread of stage times and shares.
    for (int i = 0; i < 64; ++i) {
        const double x = 0.5 + (i % 7), y = 0.5 + (i % 5), z = 0.5 + (i % 3), f = 0.05 * (i % 4);
        const MoeLayerStages p{x, y, z, x * 0.5}, q{y, z, x * 0.3, z};
        const double comm = p.dispatch_s + p.combine_s + q.dispatch_s + q.combine_s;
        const double kernels = p.before_dispatch_s + p.after_dispatch_s + q.before_dispatch_s + q.after_dispatch_s;
        CHECK(serve::two_batch_exposed(p, q, f) >= train::exposed(comm, kernels, f) - 1e-12);
    }
}

TEST_CASE("serve: the most loaded expert rank paces both its products and its exchange") {
    // SGLang's 32 H100 prefill without overlap: with imbalance 1.5 the busiest rank computes 1.5 times
    // the routed rows and receives (dispatch) and returns (combine) 1.5 times the mean bytes; the
    // exchange is bandwidth-bound at 16K tokens per GPU, so it grows by about that factor (less its
    // latency terms, which do not grow).
    const std::string text = "format: 1\nscenario: hot\ncases:\n" + sglang_h100_case("balanced", "expert_imbalance: 1") +
                             sglang_h100_case("hot", "expert_imbalance: 1.5");
    const auto run = run::run_scenario(scenario::load_scenario_text(text, "hot.yaml", test::source_catalog()));
    REQUIRE(run.cases.size() == 2);
    const auto& even = run.cases[0].serving->result->prefill;
    const auto& hot = run.cases[1].serving->result->prefill;
    REQUIRE(even.time.ep_comm_s > 0);
    const double ratio = hot.time.ep_comm_s / even.time.ep_comm_s;
    CHECK(ratio > 1.4);
    CHECK(ratio <= 1.5 + 1e-9);
    CHECK(hot.time.kernels_s > even.time.kernels_s);
}

TEST_CASE("serve: activation_quant applies per phase") {
    const std::string text = "format: 1\nscenario: quant\ncases:\n" + sglang_h100_case("fused", "overlap_comm: false") +
                             sglang_h100_case("prefill_only", "overlap_comm: false, activation_quant: {prefill: separate}") +
                             sglang_h100_case("both", "overlap_comm: false, activation_quant: separate");
    const auto run = run::run_scenario(scenario::load_scenario_text(text, "quant.yaml", test::source_catalog()));
    REQUIRE(run.cases.size() == 3);
    const auto& fused = *run.cases[0].serving->result;
    const auto& prefill_only = *run.cases[1].serving->result;
    const auto& both = *run.cases[2].serving->result;
    CHECK(prefill_only.prefill.time.kernels_s > fused.prefill.time.kernels_s);
    CHECK(prefill_only.prefill.time.kernels_s == both.prefill.time.kernels_s);
    CHECK(prefill_only.decode.time.step_s == fused.decode.time.step_s);
    CHECK(both.decode.time.step_s > fused.decode.time.step_s);
}

TEST_CASE("serve: the CloudMatrix 384 deployment of DeepSeek-R1 runs, one rank per die") {
    auto cluster = system_cluster("cloudmatrix_384");
    // Collectives take no AI cores: inside the UB domain (UB preset) and on the RDMA level, whose NCCL preset
    // HCCL borrows for its bandwidth and latency only (its transfers are DMA-driven).
    CHECK(cluster->comm_compute_share(comm::Placement::contiguous(160, 1)) == 0.0);
    CHECK(cluster->comm_compute_share(comm::Placement::contiguous(8, 48)) == 0.0);      // tensor-parallel groups of 8
    CHECK(cluster->comm_compute_share(comm::Placement::strided(48, 8, 8)) == 0.0);      // data-parallel groups inside the domain
    CHECK(cluster->comm_compute_share() == 0.0);
    const auto spec = deepseek_cm384();
    const auto r = serve::serve(spec, *cluster);
    REQUIRE(std::holds_alternative<serve::ServingResult>(r));
    const auto& s = std::get<serve::ServingResult>(r);
    // Each die holds its attention, one expert copy per MoE layer and its shared expert: about 22 GB
    // of its 64 GiB; 48 sequences of 4,352 tokens of INT8 latent KV in the 61 layers and the draft
    // (multi-token prediction) module's: 48 x 4352 x 62 x 576 bytes.
    CHECK(s.decode.memory.weights < 30e9);
    CHECK(s.decode.memory.kv_cache == doctest::Approx(48.0 * 4352 * 62 * 576));
    CHECK(s.decode.usable_hbm_bytes == doctest::Approx(64.0 * 0x1p30 * 0.9));
    CHECK(s.decode.memory.total() <= s.decode.usable_hbm_bytes);
    // One memory model for the step and for the largest batch: two micro-batches in flight hold the
    // whole batch's activations, so the overlapped step reports what rank_memory gives.
    REQUIRE(s.prefill.overlapped);
    REQUIRE(s.prefill.plan.batch == 2);
    auto half = s.prefill.plan;
    half.batch = 1;
    CHECK(s.prefill.memory.activations == doctest::Approx(2 * serve::rank_memory(spec, serve::Phase::prefill, half).activations));
    auto at = s.decode.plan;
    at.batch = s.decode.max_batch;
    CHECK(serve::rank_memory(spec, serve::Phase::decode, at).total() <= s.decode.usable_hbm_bytes);
    at.batch += 1;
    CHECK(serve::rank_memory(spec, serve::Phase::decode, at).total() > s.decode.usable_hbm_bytes);
    CHECK(!s.decode.ep_algorithm.empty());
    CHECK(s.tpot_s == doctest::Approx(s.decode.time.step_s / 1.7));
    CHECK(s.decode.tokens_per_s_per_chip == doctest::Approx(2 * 48 * 1.7 / s.decode.time.step_s));
    // The cluster's output rate: chip-seconds per request split between the phases.
    const double per_request = 4096 / s.prefill.tokens_per_s_per_chip + 256 / s.decode.tokens_per_s_per_chip;
    CHECK(s.output_tokens_per_s == doctest::Approx(384 / per_request * 256));
    CHECK(s.kv_transfer_s > 0);
    CHECK(s.ttft_s > s.prefill.latency_s);
}

TEST_CASE("serve: shared experts on ranks of their own, as CloudMatrix-Infer's decode runs them (32 of EP320)") {
    const auto& w = *test::source_catalog().workloads.at("deepseek_v3");
    const std::int64_t h = 7168, f = 2048, k = 8;
    serve::StepShape s = deepseek_int8_shape(serve::Phase::decode, 4, 2, 4096, 320);
    const std::int64_t T = 8;
    // The gate/up products of a layer: (rows, groups) of each m x 2f x h product.
    auto gate_up = [&](const serve::LayerKernels& lk) {
        std::vector<std::pair<std::int64_t, std::int64_t>> out;
        for (const auto& op : lk.ops)
            if (const auto* mm = std::get_if<chip::Matmul>(&op); mm && mm->n == 2 * f && mm->k == h) out.emplace_back(mm->m, mm->batch);
        return out;
    };
    const auto local = serve::layer_kernels(w, train::LayerKind::moe, s);
    // Every rank holds one routed slot (320 slots: 256 experts + 64 copies) and the shared expert on its own tokens.
    CHECK(gate_up(local) == std::vector<std::pair<std::int64_t, std::int64_t>>{{320 * T * k / 320, 1}, {T, 1}});

    s.shared_expert_ranks = 32;
    const auto routed = serve::layer_kernels(w, train::LayerKind::moe, s);
    // 288 routed ranks of one slot each (256 experts + 32 copies); no shared expert.
    CHECK(gate_up(routed) == std::vector<std::pair<std::int64_t, std::int64_t>>{{(320 * T * k + 287) / 288, 1}});
    s.holds_shared_experts = true;
    const auto shared = serve::layer_kernels(w, train::LayerKind::moe, s);
    // Every token of the 320 ranks once through the shared expert, over its 32 ranks.
    CHECK(gate_up(shared) == std::vector<std::pair<std::int64_t, std::int64_t>>{{320 * T / 32, 1}});
    const double expert_bytes = 3.0 * h * f;  // INT8
    CHECK(local.weight_bytes - routed.weight_bytes == doctest::Approx(expert_bytes));
    CHECK(shared.weight_bytes == doctest::Approx(routed.weight_bytes));

    // The whole instance: each rank reads one expert instead of two, and each token goes to k + 1 ranks.
    auto cluster = system_cluster("cloudmatrix_384");
    auto spec = deepseek_cm384();
    spec.execution.overlap_comm = false;
    spec.decode.batch = 4;
    const auto base = phase_of(serve::evaluate(spec, serve::Phase::decode, spec.decode, *cluster));
    auto plan = spec.decode;
    plan.shared_expert_ranks = 32;
    const auto own = phase_of(serve::evaluate(spec, serve::Phase::decode, plan, *cluster));
    // 58 MoE layers and the draft layer.
    CHECK(base.memory.weights - own.memory.weights == doctest::Approx(59 * expert_bytes));
    CHECK(own.time.memory_s < base.time.memory_s);
    CHECK(own.time.ep_comm_s > base.time.ep_comm_s);
    CHECK(serve::describe(plan) == "160 chips x2 ranks tp1 ep320 (32 shared) batch 4");

    // The scenario key reaches the plan.
    const auto sc = scenario::load_scenario_text(R"(
format: 1
scenario: shared
cases:
  - name: cm384
    system: cloudmatrix_384
    serving: {workload: deepseek_v3, weights: int8, prompt_tokens: 4096, output_tokens: 256,
              prefill: {chips: 16, ranks_per_chip: 2, ep: 32, batch: 2},
              decode: {chips: 160, ranks_per_chip: 2, ep: 320, shared_expert_ranks: 32, batch: 4}}
)",
                                                 "shared.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 1);
    REQUIRE(sc.cases[0].serving.has_value());
    CHECK(sc.cases[0].serving->decode.shared_expert_ranks == 32);
    CHECK(sc.cases[0].serving->prefill.shared_expert_ranks == 0);

    // What cannot run says why.
    auto problem = [&](const serve::ServingSpec& sp, const serve::ServingPlan& p, const train::TrainingCluster& c) {
        const auto r = serve::evaluate(sp, serve::Phase::decode, p, c);
        REQUIRE(std::holds_alternative<train::Rejection>(r));
        return std::get<train::Rejection>(r).reason;
    };
    plan.shared_expert_ranks = 320;
    CHECK(problem(spec, plan, *cluster) == "decode: shared_expert_ranks 320 leaves none of the 320 expert ranks for the routed experts");
    auto mixtral = spec;
    mixtral.workload = test::source_catalog().workloads.at("mixtral_8x7b");
    plan.shared_expert_ranks = 32;
    CHECK(problem(mixtral, plan, *cluster) == "decode: shared_expert_ranks needs a workload with shared experts");
    auto h100 = system_cluster("hgx_h100_ib_cluster");
    auto gpu = spec;
    gpu.weights = chip::DType::fp8;
    const serve::ServingPlan split{16, 1, 2, 8, 4, 2};
    CHECK(problem(gpu, split, *h100) == "decode: shared_expert_ranks needs whole experts: ep 8 must equal the 16 ranks");
}

TEST_CASE("serve: rows dispatched in arrival order are regrouped by expert and restored (normal-mode dispatch)") {
    // DeepEP's normal kernels and CloudMatrix's prefill "double routing" deliver a rank's rows in arrival
    // order: with several expert slots the rank regroups them by expert before its products (SGLang's
    // ep_scatter, Ascend's npu_moe_re_routing) and restores them after (ep_gather): two copies of the
    // rank's rows, the first in the dispatch's element type, the second in 16 bits.
    const auto& w = *test::source_catalog().workloads.at("deepseek_v3");
    serve::StepShape s = deepseek_int8_shape(serve::Phase::prefill, 1, 4096, 4096, 32);
    s.dispatch = chip::DType::int8;
    auto memory_bytes = [](const serve::LayerKernels& k) {
        double bytes = 0;
        for (const auto& op : k.ops)
            if (const auto* m = std::get_if<chip::MemoryOp>(&op)) bytes += m->bytes;
        return bytes;
    };
    const auto in_order = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.expert_relayout = true;
    const auto regrouped = serve::layer_kernels(w, train::LayerKind::moe, s);
    // 8 slots of 32 x 4096 x 8 / 256 = 4,096 rows each: 32,768 rows of 7,168.
    const double rows = 8.0 * 4096, h = 7168;
    CHECK(regrouped.ops.size() == in_order.ops.size() + 2);
    CHECK(memory_bytes(regrouped) - memory_bytes(in_order) == doctest::Approx(2 * rows * h * 1 + 2 * rows * h * 2));
    CHECK(regrouped.weight_bytes == in_order.weight_bytes);
    // One slot per rank (CloudMatrix's decode, EP320): nothing to regroup.
    s.phase = serve::Phase::decode;
    s.query_tokens = 2;
    s.ranks = s.ep = 320;
    const auto one_slot = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.expert_relayout = false;
    const auto direct = serve::layer_kernels(w, train::LayerKind::moe, s);
    CHECK(one_slot.ops.size() == direct.ops.size());
    // A dispatch library (DeepEP, FusedDispatch) reads each token in place: no permute before the exchange.
    // Its low-latency kernels write each row into its expert's buffer; its normal kernels and a collective
    // library's all-to-all deliver rows in arrival order.
    serve::set_dispatch_layout(s, false, false);
    CHECK((s.permute_before_dispatch && s.expert_relayout));
    serve::set_dispatch_layout(s, true, false);
    CHECK((!s.permute_before_dispatch && s.expert_relayout));
    serve::set_dispatch_layout(s, true, true);
    CHECK((!s.permute_before_dispatch && !s.expert_relayout));
    const auto in_place = serve::layer_kernels(w, train::LayerKind::moe, s);
    CHECK(in_place.ops.size() == direct.ops.size() - 1);
    CHECK(memory_bytes(direct) - memory_bytes(in_place) == doctest::Approx(2.0 * (2 * 8) * 7168 * 2));  // T = 2 tokens x 8 copies
}

TEST_CASE("serve: separate activation quantisation costs one kernel per 8-bit product with a 16-bit input") {
    // DeepSeek-V3 INT8 prefill, 8,192 tokens per rank, EP32 (8 slots of 8,192 rows each), INT8 dispatch
    // read in place: quantisation before q down, kv down, q up, kv up, the output projection, the shared
    // experts' gate/up and down, the routed down products, and once per token before the exchange; none
    // before the routed gate/up products (their rows arrive in INT8) or the BF16 router.
    const auto& w = *test::source_catalog().workloads.at("deepseek_v3");
    serve::StepShape s = deepseek_int8_shape(serve::Phase::prefill, 1, 8192, 8192, 32);
    s.dispatch = chip::DType::int8;
    serve::set_dispatch_layout(s, true, false);
    auto memory_bytes = [](const serve::LayerKernels& k) {
        double bytes = 0;
        for (const auto& op : k.ops)
            if (const auto* m = std::get_if<chip::MemoryOp>(&op)) bytes += m->bytes;
        return bytes;
    };
    const auto fused = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = true;
    const auto separate = serve::layer_kernels(w, train::LayerKind::moe, s);
    CHECK(separate.ops.size() == fused.ops.size() + 9);
    CHECK(separate.weight_bytes == fused.weight_bytes);
    // Values per token: 4 x h (q down, kv down, the dispatch, shared gate/up) + r_q + r_kv + a x d_v
    // (output projection) + f_e (shared down) + 8 x f_e (routed down) = 65,536; 3 bytes each, and one
    // FP32 scale per row of each kernel (8 per token, and 8 x 8,192 rows of the routed down products).
    const double T = 8192;
    const double values = 4 * 7168 + 1536 + 512 + 128 * 128 + 2048 + 8 * 2048;
    CHECK(values == 65536);
    CHECK(memory_bytes(separate) - memory_bytes(fused) == doctest::Approx(T * values * 3 + 4 * (8 * T + 8 * T)));
    // A BF16 dispatch: the routed rows are quantised where they are used, not before the exchange.
    s.dispatch = chip::DType::bf16;
    const auto wide = serve::layer_kernels(w, train::LayerKind::moe, s);
    CHECK(memory_bytes(wide) - memory_bytes(separate) ==
          doctest::Approx(8 * T * 7168 * 3 + 4 * 8 * T - (T * 7168 * 3 + 4 * T) + 8 * T * 7168 * (2 - 1) * 2));
    // DeepEP's or FusedDispatch's low-latency kernels quantise inside the exchange: no kernel before it.
    s.dispatch = chip::DType::int8;
    serve::set_dispatch_layout(s, true, true);
    const auto low_latency = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = false;
    const auto low_latency_fused = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = true;
    CHECK(low_latency.ops.size() == low_latency_fused.ops.size() + 8);
    // A collective library's all-to-all: the permute before it copies the quantised 8-bit rows.
    serve::set_dispatch_layout(s, false, false);
    const auto permuted = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = false;
    const auto permuted_fused = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = true;
    CHECK(memory_bytes(permuted) - memory_bytes(permuted_fused) ==
          doctest::Approx(T * values * 3 + 4 * (8 * T + 8 * T) - 2 * (8 * T) * 7168 * (2 - 1)));
    // No exchange (ep 1): the rows stay 16-bit and the routed products quantise their own inputs.
    s.ranks = s.ep = 1;
    const auto local = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = false;
    const auto local_fused = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = true;
    CHECK(local.ops.size() == local_fused.ops.size() + 9);  // the routed gate/up's instead of the exchange's
    // BF16 weights: nothing to quantise.
    s.weights = chip::DType::bf16;
    const auto bf16 = serve::layer_kernels(w, train::LayerKind::moe, s);
    s.separate_quant = false;
    CHECK(serve::layer_kernels(w, train::LayerKind::moe, s).ops.size() == bf16.ops.size());
}

TEST_CASE("serve: with multi-token prediction, prefill runs the draft module over the prompt and keeps its KV cache") {
    auto cluster = system_cluster("cloudmatrix_384");
    auto spec = deepseek_cm384();
    spec.execution.overlap_comm = false;
    auto plain = spec;
    plain.speculation = {};
    const auto with = phase_of(serve::evaluate(spec, serve::Phase::prefill, spec.prefill, *cluster));
    const auto without = phase_of(serve::evaluate(plain, serve::Phase::prefill, plain.prefill, *cluster));
    // One more MoE layer: 58 MoE and 3 dense layers plus the head and embedding before, 59 MoE after.
    const double per_layer = (with.time.step_s - without.time.step_s);
    CHECK(per_layer > 0.9 * without.time.step_s / 61);
    CHECK(per_layer < 1.2 * without.time.step_s / 58);
    // KV cache of 62 layers instead of 61, and the module's weights.
    CHECK(with.memory.kv_cache / without.memory.kv_cache == doctest::Approx(62.0 / 61));
    CHECK(with.memory.weights > without.memory.weights);
    CHECK(serve::served_kv_bytes_per_token(spec, 1) == doctest::Approx(62.0 * 576));
    // One module, chained for every draft token: more drafts do not add layers.
    spec.speculation = {2, 0.7};
    CHECK(serve::served_kv_bytes_per_token(spec, 1) == doctest::Approx(62.0 * 576));
    CHECK(phase_of(serve::evaluate(spec, serve::Phase::prefill, spec.prefill, *cluster)).time.step_s ==
          doctest::Approx(with.time.step_s));
}

TEST_CASE("serve: the kernel breakdown of a phase adds up to its kernels' time: micro-batches, draft steps, dense") {
    auto sum = [](const std::vector<train::KernelRow>& rows) {
        double t = 0;
        for (const auto& r : rows) t += r.step_s();
        return t;
    };
    auto count = [](const std::vector<train::KernelRow>& rows, std::string_view part, std::string_view pass) {
        return std::count_if(rows.begin(), rows.end(), [&](const auto& r) { return r.part == part && r.pass == pass; });
    };
    auto cluster = system_cluster("cloudmatrix_384");
    const auto spec = deepseek_cm384();
    const auto r = serve::serve(spec, *cluster);
    REQUIRE(std::holds_alternative<serve::ServingResult>(r));
    const auto& s = std::get<serve::ServingResult>(r);
    // Prefill: two micro-batches, each with its 3 dense and 58 MoE layers, and the draft module's layer.
    REQUIRE(s.prefill.overlapped);
    const auto prefill = serve::phase_kernels(spec, s.prefill, *cluster);
    CHECK(sum(prefill) == doctest::Approx(s.prefill.time.kernels_s).epsilon(1e-12));
    CHECK(count(prefill, "moe_layer", "micro_batch_1") == count(prefill, "moe_layer", "micro_batch_2"));
    CHECK(count(prefill, "moe_layer", "whole_batch") == 0);
    for (const auto& row : prefill) {
        if (row.part == "moe_layer") CHECK(row.calls_per_step == 59.0);  // 58 MoE layers and the draft module's
        if (row.part == "layer") CHECK(row.calls_per_step == 3.0);
        if (row.part == "head") CHECK(row.calls_per_step == 1.0);
    }
    // Decode with one draft token: the draft module's layer, embedding and head once more per step.
    const auto decode = serve::phase_kernels(spec, s.decode, *cluster);
    CHECK(sum(decode) == doctest::Approx(s.decode.time.kernels_s).epsilon(1e-12));
    CHECK(count(decode, "moe_layer", "draft") > 0);
    CHECK(count(decode, "head", "draft") > 0);
    // A dense model in one piece.
    auto h100 = system_cluster("hgx_h100_8gpu");
    const auto llama = llama8b_h100();
    const auto dense = phase_of(serve::evaluate(llama, serve::Phase::decode, llama.decode, *h100));
    const auto rows = serve::phase_kernels(llama, dense, *h100);
    CHECK(sum(rows) == doctest::Approx(dense.time.kernels_s).epsilon(1e-12));
    CHECK(count(rows, "layer", "whole_batch") > 0);
    CHECK(count(rows, "moe_layer", "whole_batch") == 0);
    for (const auto& row : rows)
        if (row.part == "layer") CHECK(row.calls_per_step == 32.0);
    // Every kernel is named, as the training model names it.
    for (const auto* list : {&prefill, &decode, &rows})
        for (const auto& row : *list) CHECK_MESSAGE(!chip::name_of(row.op).empty(), row.part, " ", row.pass, " ", row.index);
    std::vector<std::string_view> layer;
    for (const auto& row : rows)
        if (row.part == "layer") layer.push_back(chip::name_of(row.op));
    CHECK(layer == std::vector<std::string_view>{"attention_norm", "qkv", "attention", "out_proj", "attention_residual", "mlp_norm",
                                                 "gate_up", "swiglu", "down", "mlp_residual"});
}

// The reliability model (sim/reliability): Young's and Daly's checkpoint intervals and Daly's
// useful-work fraction on hand-worked cases, the parts-list failure rate, the invariants (goodput
// never above throughput, more failures never more goodput, a spare never less goodput, a rack
// event counted once), hot spares (Erlang's loss formula, recovery of two kinds, checked against a
// simulation), and the calibration against Meta's Llama 3 job (formulas.md, "Reliability";
// docs/models/reliability.md).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include "diag/diagnostic.hpp"
#include "output/summary.hpp"
#include "reliability/model.hpp"
#include "run/runner.hpp"
#include "scenario/scenario_loader.hpp"
#include "test_support.hpp"

using namespace clustersim;
using namespace clustersim::reliability;

TEST_CASE("reliability: Young's and Daly's intervals on a hand-worked case") {
    // M = 10 h, delta = 5 min: Young sqrt(2 x 300 x 36000) = 4647.58 s; Daly's higher-order estimate
    // x = 300 / 72000: sqrt(2 delta M) (1 + sqrt(x)/3 + x/9) - delta = 4449.73 s.
    CHECK(young_interval(300, 36000) == doctest::Approx(4647.580015));
    CHECK(daly_interval(300, 36000) == doctest::Approx(4449.731673));
    // delta >= 2M: Daly's interval is M.
    CHECK(daly_interval(100, 40) == 40);
}

TEST_CASE("reliability: Daly's useful fraction on a hand-worked case, and its limits") {
    // M = 10 h, delta = 5 min, R = 10 min, tau = Daly's 4449.73 s:
    // tau / (M e^(R/M) (e^((tau + delta)/M) - 1)) = 0.86191; the first-order estimate
    // 1 - delta/tau - (tau/2 + R)/M = 0.8541 is close below it.
    const double tau = daly_interval(300, 36000);
    CHECK(useful_fraction(tau, 300, 600, 36000) == doctest::Approx(0.8619097653));
    // Daly's interval is (near) optimal: Young's does no better.
    CHECK(useful_fraction(young_interval(300, 36000), 300, 600, 36000) <= useful_fraction(tau, 300, 600, 36000));
    // No failures: only the checkpoints cost.
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(useful_fraction(3600, 60, 600, inf) == doctest::Approx(3600.0 / 3660.0));
    // Very rare failures approach that limit from below.
    CHECK(useful_fraction(3600, 60, 600, 1e12) < 3600.0 / 3660.0);
    CHECK(useful_fraction(3600, 60, 600, 1e12) == doctest::Approx(3600.0 / 3660.0).epsilon(1e-6));
}

TEST_CASE("reliability: planned maintenance interrupts the job once per interval, whatever its size") {
    Mtbf m;
    m.planned_s = 27.6 * 3600;
    const auto small = failure_rate(Parts{8, 1, 8, 1, 0, 8, 0}, m);
    const auto large = failure_rate(Parts{16384, 2048, 16384, 1000, 38000, 35000, 1024}, m);
    CHECK(small.per_s == doctest::Approx(1.0 / (27.6 * 3600)));
    CHECK(large.per_s == small.per_s);
    CHECK(large.hardware_per_s == 0);
}

TEST_CASE("reliability: the job's failure rate is the sum of count / MTBF over its parts") {
    Parts p{16, 2, 16, 3, 20, 40, 0};
    Mtbf m{1000, 2000, 4000, 0, 8000, 16000, 500, 0, 0};
    const auto r = failure_rate(p, m);
    CHECK(r.hardware_per_s == doctest::Approx(16.0 / 1000 + 2.0 / 2000 + 16.0 / 4000 + 20.0 / 8000 + 40.0 / 16000));
    CHECK(r.software_per_s == doctest::Approx(16.0 / 500));  // per accelerator
    CHECK(r.switch_per_s == 0);                               // unknown MTBF: no failures of that kind
    CHECK(r.per_s == doctest::Approx(r.hardware_per_s + r.software_per_s));
    const auto o = evaluate(p, m, 30, 600);
    CHECK(o.mtti_s == doctest::Approx(1.0 / r.per_s));
    CHECK(o.interval_s == doctest::Approx(daly_interval(30, o.mtti_s)));
    CHECK(o.availability() == doctest::Approx(o.mtti_s / (o.mtti_s + 600)));
    // No part can fail: no interruptions, full availability, only the checkpoint cost.
    const auto none = evaluate(p, Mtbf{}, 30, 600);
    CHECK(none.interruptions_per_day() == 0);
    CHECK(none.availability() == 1.0);
    CHECK(none.useful_fraction == doctest::Approx(86400.0 / 86430.0));
}

TEST_CASE("reliability: goodput never exceeds throughput; more failures never raise it") {
    Parts p{16384, 2048, 16384, 1000, 38000, 35000, 1024};
    double last = 1.0;
    for (const double scale : {100.0, 10.0, 3.0, 1.0, 0.3, 0.1, 0.01}) {
        Mtbf m{79200 * 3600 * scale, 57700 * 3600 * scale, 3.03e6 * 3600 * scale, 0, 0, 1.29e6 * 3600 * scale, 337000 * 3600 * scale,
               0, 387000 * 3600 * scale};
        for (const double restart : {0.0, 600.0, 3600.0}) {
            const auto o = evaluate(p, m, 10, restart);
            CHECK(o.useful_fraction > 0);
            CHECK(o.useful_fraction <= 1.0);
            // A given interval gives no more than Daly's optimum (up to its approximation).
            CHECK(evaluate(p, m, 10, restart, 7200.0).useful_fraction <= o.useful_fraction * (1 + 1e-3));
        }
        const auto o = evaluate(p, m, 10, 600);
        CHECK(o.useful_fraction <= last);  // MTBFs shrink down the loop: more failures
        last = o.useful_fraction;
    }
}

TEST_CASE("reliability: Meta's Llama 3 job, 466 interruptions in 54 days (419 unexpected)") {
    const auto sc = scenario::load_scenario(test::source_dir() / "scenarios" / "reliability-goodput.yaml", test::source_catalog());
    const auto run = run::run_scenario(sc);
    auto find = [&](const std::string& name) -> const run::CaseResult& {
        for (const auto& c : run.cases)
            if (c.name == name) return c;
        FAIL("no case " << name);
        return run.cases.front();
    };
    // The rates derived from the job reproduce its 466 interruptions, 419 unexpected and 47 planned
    // (by construction, within the rounding of the MTBFs and the link count of the preset's network).
    const auto& meta = *find("llama3_405b_16k_h100_meta_rates").reliability;
    CHECK(meta.outcome.interruptions_per_day() == doctest::Approx(466.0 / 54).epsilon(0.02));
    CHECK(meta.outcome.rate.planned_per_s * 86400 == doctest::Approx(47.0 / 54).epsilon(0.01));
    // Rates from other fleets (no host, NIC, software or planned rate) under-count the unexpected
    // interruptions, within 15%.
    const auto& indep = *find("llama3_405b_16k_h100_independent_rates").reliability;
    MESSAGE("independent rates: " << indep.outcome.interruptions_per_day() << " interruptions per day, measured "
                                  << 419.0 / 54 << " unexpected (" << 466.0 / 54 << " with planned)");
    CHECK(indep.outcome.interruptions_per_day() < 419.0 / 54);
    CHECK(indep.outcome.interruptions_per_day() > 0.85 * 419.0 / 54);
    // Meta reports more than 90% effective training time.
    CHECK(meta.outcome.useful_fraction > 0.9);
    const auto& t = *find("llama3_405b_16k_h100_meta_rates").training;
    REQUIRE(t.step);
    CHECK(meta.goodput_tokens_per_s == doctest::Approx(t.step->tokens_per_s * meta.outcome.useful_fraction));
    CHECK(meta.goodput_tokens_per_s < t.step->tokens_per_s);

    // Racks from the system's cabinets: 1,536 for 24,576 GPUs, 1,024 for the job's 16,384; the
    // independent fleet's rack power events, one interruption per rack event (387,000 h per rack).
    CHECK(indep.racks_known);
    CHECK(indep.parts.racks == doctest::Approx(1024));
    CHECK(indep.outcome.rate.rack_per_s == doctest::Approx(1024 / (387000 * 3600.0)));
    CHECK(meta.outcome.rate.rack_per_s == 0);  // Meta's profile has no rack-level rate

    // One GB200 NVL72 rack: 18 hosts (compute trays of 4 GPUs), one rack.
    const auto& nvl72 = *find("llama3_70b_gb200_nvl72_independent_rates").reliability;
    CHECK(nvl72.parts.hosts == 18);
    CHECK(nvl72.parts.racks == doctest::Approx(1));

    // UB-Mesh's 64 + 1 on the Atlas 950 SuperPoD with Meta's rates: 128 spares; the same
    // interruptions, shorter recoveries, more goodput.
    const auto& plain = *find("llama3_405b_atlas950_meta_rates").reliability;
    const auto& spared = *find("llama3_405b_atlas950_meta_rates_64_plus_1").reliability;
    CHECK(plain.spare_accelerators == 0);
    CHECK(spared.spare_accelerators == 128);
    CHECK(spared.outcome.rate.per_s == plain.outcome.rate.per_s);
    CHECK(spared.outcome.spared_per_s == doctest::Approx(spared.outcome.rate.accelerator_per_s * (1 - spared.outcome.spares_busy)));
    CHECK(spared.outcome.spares_busy == doctest::Approx(erlang_b(1, 64 * 72 / 79200.0)));
    CHECK(spared.outcome.availability() > plain.outcome.availability());
    CHECK(spared.goodput_tokens_per_s > plain.goodput_tokens_per_s);
    MESSAGE("Atlas 950 SuperPoD, Meta's rates: availability " << plain.outcome.availability() << " -> " << spared.outcome.availability()
                                                              << " with 64 + 1; useful fraction " << plain.outcome.useful_fraction
                                                              << " -> " << spared.outcome.useful_fraction);
}

TEST_CASE("reliability: UB-Mesh's and Huawei's published availability figures against the model") {
    // docs/models/reliability.md, "Calibration": the rows the table quotes, within its rounding.
    const auto sc = scenario::load_scenario(test::source_dir() / "scenarios" / "reliability-goodput.yaml", test::source_catalog());
    const auto run = run::run_scenario(sc);
    auto find = [&](const std::string& name) -> const run::ReliabilityOutcome& {
        for (const auto& c : run.cases)
            if (c.name == name && c.reliability) return *c.reliability;
        FAIL("no case " << name);
        return *run.cases.front().reliability;
    };
    // UB-Mesh (network failures only, its 5-year link MTBF, MTTR 75 min): 91.6% for a Clos and 98.8% for
    // UB-Mesh on 8K NPUs; the model's parts lists give far lower availabilities (the table explains why).
    const auto& clos = find("llama3_405b_8k_clos_ubmesh_assumption");
    const auto& ubmesh = find("llama3_405b_atlas950_ubmesh_assumption");
    const auto& ubmesh13 = find("llama3_405b_atlas950_ubmesh_assumption_mttr_13min");
    CHECK(clos.outcome.mtti_s / 3600 == doctest::Approx(2.47).epsilon(0.01));
    CHECK(clos.outcome.availability() == doctest::Approx(0.664).epsilon(0.01));
    CHECK(ubmesh.outcome.mtti_s / 3600 == doctest::Approx(1.07).epsilon(0.01));
    CHECK(ubmesh.outcome.availability() == doctest::Approx(0.461).epsilon(0.01));
    CHECK(ubmesh13.outcome.availability() == doctest::Approx(0.832).epsilon(0.01));
    CHECK(ubmesh13.outcome.availability() > ubmesh.outcome.availability());
    // Huawei: supernode MTBF over 24 h (CloudMatrix 384, hardware failures: the model's 89.6 h is
    // consistent); 98% training availability on 10,000 cards (the model: 94.2%).
    const auto& cm384 = find("llama3_70b_cloudmatrix_384");
    CHECK(86400.0 / (cm384.outcome.rate.hardware_per_s * 86400.0) / 3600 > 24);
    const auto& cm10k = find("llama3_70b_cloudmatrix_10k");
    CHECK(cm10k.outcome.availability() == doctest::Approx(0.942).epsilon(0.005));
}

TEST_CASE("reliability: a profile without a restart time needs the scenario's") {
    catalog::Catalog cat = test::source_catalog();
    cat.reliability.at("meta_llama3_h100").restart_time = {};
    const std::string text = R"(format: 1
scenario: no-restart
cases:
  - name: a
    system: hgx_h100_8gpu
    training:
      workload: llama3_8b
      global_batch: 16
      plan: {tp: 8, micro_batch: 1, sequence_parallel: true, recompute: selective, optimizer: zero1}
    reliability: {profile: meta_llama3_h100, checkpoint_bandwidth: "200 GB/s"}
)";
    try {
        (void)scenario::load_scenario_text(text, "no-restart.yaml", cat);
        FAIL("expected an error");
    } catch (const diag::InputError& e) {
        REQUIRE(e.diagnostics().size() == 1);
        CHECK(e.diagnostics().front().key_path == "cases[0].reliability");
        CHECK(e.diagnostics().front().message ==
              "the profile 'meta_llama3_h100' has no restart time: give restart_time, the time a job loses per interruption (e.g. \"10 min\")");
    }
    // Given in the scenario, it runs.
    std::string with = text;
    with.replace(with.find("checkpoint_bandwidth"), 0, "restart_time: \"10 min\", ");
    const auto sc = scenario::load_scenario_text(with, "restart.yaml", cat);
    CHECK(sc.cases.front().reliability->restart_s == 600);
}

TEST_CASE("reliability: Erlang's loss formula on hand-worked cases") {
    // B(1, rho) = rho / (1 + rho); B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2;
    // B(3, 2) = (8/6) / (1 + 2 + 2 + 8/6) = 0.210526.
    CHECK(erlang_b(0, 0.7) == 1.0);
    CHECK(erlang_b(1, 0.5) == doctest::Approx(1.0 / 3.0));
    CHECK(erlang_b(2, 1.0) == doctest::Approx(0.2));
    CHECK(erlang_b(3, 2.0) == doctest::Approx(0.2105263158));
    CHECK(erlang_b(4, 0.0) == 0.0);
    // More spares, or shorter repairs, never leave a failure without a spare more often.
    double last = 1.0;
    for (const std::int64_t s : {1, 2, 3, 5, 8}) {
        CHECK(erlang_b(s, 0.3) < last);
        last = erlang_b(s, 0.3);
    }
    CHECK(erlang_b(1, 0.05) < erlang_b(1, 0.5));
}

TEST_CASE("reliability: useful fraction with two kinds of recovery, hand-worked") {
    // M = 10 h, delta = 5 min, tau = Daly's 4449.73 s; 60% of the interruptions cost R = 600 s, 40%
    // a spare's 180 s: q = 0.6 e^(-600/36000) + 0.4 e^(-180/36000), useful = q tau / (M (e^((tau +
    // delta)/M) - 1)) = 0.865956, between the fractions with every recovery at 600 s (0.861910) and
    // at 180 s (0.872024).
    const double tau = daly_interval(300, 36000);
    const double mixed = useful_fraction(tau, 300, std::vector<RecoveryKind>{{0.6, 600}, {0.4, 180}}, 36000);
    CHECK(mixed == doctest::Approx(0.8659555655));
    CHECK(useful_fraction(tau, 300, 600, 36000) == doctest::Approx(0.8619097653));
    CHECK(useful_fraction(tau, 300, 180, 36000) == doctest::Approx(0.8720242658));
    // Two kinds of the same cost are one kind: Daly's formula.
    CHECK(useful_fraction(tau, 300, std::vector<RecoveryKind>{{0.3, 600}, {0.7, 600}}, 36000) ==
          doctest::Approx(useful_fraction(tau, 300, 600, 36000)));
}

TEST_CASE("reliability: the two-kind recovery formula against a simulation of the same process") {
    // Work in segments of tau + delta; exponential failures (mean M) during work and recovery; each
    // failure starts a recovery of R1 (share p1) or R2, drawn afresh when a failure cuts a recovery.
    // The simulation's useful fraction (total work / wall time) within 1% of the formula's.
    const double M = 3600, tau = 600, delta = 30, r1 = 600, r2 = 60, p1 = 0.6;
    std::mt19937_64 rng(20250511);
    std::exponential_distribution<double> next_failure(1.0 / M);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    double wall = 0, work = 0;
    for (int segment = 0; segment < 200000; ++segment) {
        for (;;) {
            const double f = next_failure(rng);
            if (f >= tau + delta) {
                wall += tau + delta;
                work += tau;
                break;
            }
            wall += f;
            // Recover: a failure during a recovery starts another, of a kind drawn afresh.
            for (;;) {
                const double r = uniform(rng) < p1 ? r1 : r2;
                const double g = next_failure(rng);
                if (g >= r) {
                    wall += r;
                    break;
                }
                wall += g;
            }
        }
    }
    const double formula = useful_fraction(tau, delta, std::vector<RecoveryKind>{{p1, r1}, {1 - p1, r2}}, M);
    MESSAGE("simulated " << work / wall << ", formula " << formula);
    CHECK(work / wall == doctest::Approx(formula).epsilon(0.01));
}

TEST_CASE("reliability: a hot spare per domain, hand-worked (64 + 1 racks)") {
    // 640 accelerators (MTBF 79,200 h) in 10 domains of 64 with one spare each, repaired in 72 h:
    // rho = 64 x 72 / 79,200 = 0.0581818, B(1, rho) = rho / (1 + rho) = 0.0549828. 94.5% of the
    // accelerator failures are swapped in 180 s, the rest and every other interruption cost 600 s.
    const Parts p{640, 80, 640, 0, 0, 0, 10};
    Mtbf m;
    m.accelerator_s = 79200 * 3600.0;
    m.host_s = 57700 * 3600.0;
    m.rack_s = 387000 * 3600.0;
    const Spares spares{1, 64, 180, 72 * 3600.0};
    const auto with = evaluate(p, m, 30, 600, std::nullopt, spares);
    const auto without = evaluate(p, m, 30, 600);
    const double accelerator_per_s = 640 / m.accelerator_s;
    CHECK(with.spares_busy == doctest::Approx(0.0549828179));
    CHECK(with.spared_per_s == doctest::Approx(accelerator_per_s * (1 - 0.0549828179)));
    // A spare does not prevent the interruption (synchronous training stops), it shortens it.
    CHECK(with.rate.per_s == without.rate.per_s);
    CHECK(with.interval_s == without.interval_s);
    const double lambda = with.rate.per_s;
    CHECK(with.mean_restart_s() == doctest::Approx((with.spared_per_s * 180 + (lambda - with.spared_per_s) * 600) / lambda));
    CHECK(with.availability() == doctest::Approx(with.mtti_s / (with.mtti_s + with.mean_restart_s())));
    CHECK(with.availability() > without.availability());
    // The useful fraction, from the two-kind formula written out.
    const double M = with.mtti_s, tau = with.interval_s, share = with.spared_per_s / lambda;
    const double q = share * std::exp(-180 / M) + (1 - share) * std::exp(-600 / M);
    CHECK(with.useful_fraction == doctest::Approx(q * tau / (M * std::expm1((tau + 30) / M))));
    CHECK(with.useful_fraction > without.useful_fraction);
    // Without an accelerator MTBF no failure is spared; the swap time is still reported.
    Mtbf no_accelerator = m;
    no_accelerator.accelerator_s = 0;
    const auto none = evaluate(p, no_accelerator, 30, 600, std::nullopt, spares);
    CHECK(none.spared_per_s == 0);
    CHECK(none.useful_fraction == doctest::Approx(evaluate(p, no_accelerator, 30, 600).useful_fraction));
}

TEST_CASE("reliability: a spare never lowers goodput; more spares never lower it") {
    const Parts p{16384, 2048, 16384, 1000, 38000, 35000, 1024};
    const Mtbf m{79200 * 3600.0, 57700 * 3600.0, 3.03e6 * 3600.0, 1.44e6 * 3600.0, 0, 1.29e6 * 3600.0, 337000 * 3600.0, 27.6 * 3600.0,
                 387000 * 3600.0};
    const double restart = 600;
    const auto base = evaluate(p, m, 3, restart);
    for (const double swap : {0.0, 30.0, 180.0, 600.0}) {
        for (const double repair_h : {1.0, 72.0, 1e6}) {
            for (const std::int64_t domain : {8, 64, 1024}) {
                double last = base.useful_fraction;
                for (const std::int64_t per : {1, 2, 4}) {
                    const auto o = evaluate(p, m, 3, restart, std::nullopt, Spares{per, domain, swap, repair_h * 3600});
                    INFO("swap " << swap << " s, repair " << repair_h << " h, " << per << " per " << domain);
                    CHECK(o.useful_fraction >= base.useful_fraction * (1 - 1e-12));
                    CHECK(o.useful_fraction >= last * (1 - 1e-12));  // more spares per domain
                    CHECK(o.availability() >= base.availability() * (1 - 1e-12));
                    CHECK(o.useful_fraction <= 1.0);
                    last = o.useful_fraction;
                }
            }
        }
        // A swap as long as the restart saves nothing.
        if (swap == restart) {
            CHECK(evaluate(p, m, 3, restart, std::nullopt, Spares{1, 64, swap, 72 * 3600.0}).useful_fraction ==
                  doctest::Approx(base.useful_fraction));
        }
    }
    // A shorter swap saves more.
    CHECK(evaluate(p, m, 3, restart, std::nullopt, Spares{1, 64, 30, 72 * 3600.0}).useful_fraction >
          evaluate(p, m, 3, restart, std::nullopt, Spares{1, 64, 300, 72 * 3600.0}).useful_fraction);
}

TEST_CASE("reliability: a host or rack event takes all its accelerators down and is counted once") {
    Mtbf m;
    m.rack_s = 387000 * 3600.0;
    m.host_s = 57700 * 3600.0;
    // 720 accelerators in 10 racks of 72 (GB200 NVL72) or in 30 racks of 24: one interruption per
    // rack event, whatever the rack holds: 10 / MTBF against 30 / MTBF.
    const auto nvl72 = failure_rate(Parts{720, 0, 0, 0, 0, 0, 10}, m);
    const auto small_racks = failure_rate(Parts{720, 0, 0, 0, 0, 0, 30}, m);
    CHECK(nvl72.rack_per_s == doctest::Approx(10 / m.rack_s));
    CHECK(small_racks.rack_per_s == doctest::Approx(3 * nvl72.rack_per_s));
    CHECK(nvl72.per_s == nvl72.rack_per_s);
    CHECK(nvl72.hardware_per_s == nvl72.rack_per_s);
    // Hosts likewise: 720 GPUs in trays of 4 are 180 hosts, in servers of 8 are 90: twice the host
    // interruptions for the same GPUs, each counted once.
    const auto trays = failure_rate(Parts{720, 180, 0, 0, 0, 0, 0}, m);
    const auto servers = failure_rate(Parts{720, 90, 0, 0, 0, 0, 0}, m);
    CHECK(trays.host_per_s == doctest::Approx(2 * servers.host_per_s));
    CHECK(servers.host_per_s == doctest::Approx(90 / m.host_s));
    // A spare accelerator does not cover host or rack events: only accelerator failures are spared.
    const auto hosts_and_racks = evaluate(Parts{720, 180, 0, 0, 0, 0, 10}, m, 30, 600, std::nullopt, Spares{1, 72, 60, 72 * 3600.0});
    CHECK(hosts_and_racks.spared_per_s == 0);
    CHECK(hosts_and_racks.mean_restart_s() == doctest::Approx(600));
    m.accelerator_s = 79200 * 3600.0;
    const auto o = evaluate(Parts{720, 180, 0, 0, 0, 0, 10}, m, 30, 600, std::nullopt, Spares{1, 72, 60, 72 * 3600.0});
    CHECK(o.spared_per_s == doctest::Approx(o.rate.accelerator_per_s * (1 - o.spares_busy)));
    CHECK(o.spared_per_s < o.rate.accelerator_per_s);
    CHECK(o.rate.per_s == doctest::Approx(o.rate.accelerator_per_s + o.rate.host_per_s + o.rate.rack_per_s));
}

TEST_CASE("reliability: a profile's rack MTBF without a rack count is said, not dropped silently") {
    // A system whose cabinets are unknown (hgx_h100_ib_cluster) under a profile with rack events:
    // without accelerators_per_rack the racks are unknown and the outcome says what it leaves out.
    test::TempDir dir;
    const auto file = dir.path() / "racks.yaml";
    std::ofstream(file) << R"(format: 1
scenario: racks
cases:
  - name: no_racks
    system: hgx_h100_ib_cluster
    count: 64
    training: &t
      workload: llama3_8b
      global_batch: 64
      plan: {tp: 1, pp: 1, cp: 1, virtual_stages: 1, micro_batch: 1, sequence_parallel: false, recompute: full, optimizer: zero1}
    reliability: {profile: independent_fleet_2024, checkpoint_bandwidth: "1 TB/s"}
  - name: racks_of_32
    system: hgx_h100_ib_cluster
    count: 64
    training: *t
    reliability: {profile: independent_fleet_2024, checkpoint_bandwidth: "1 TB/s", accelerators_per_rack: 32}
)";
    const auto run = run::run_scenario(scenario::load_scenario(file, test::source_catalog()));
    REQUIRE(run.cases.size() == 2);
    const auto& none = *run.cases[0].reliability;
    CHECK_FALSE(none.racks_known);
    CHECK(none.outcome.rate.rack_per_s == 0);
    CHECK(none.note.find("the profile 'independent_fleet_2024' has a rack MTBF") == 0);
    CHECK(none.note.find("give reliability.accelerators_per_rack") != std::string::npos);
    const auto& two = *run.cases[1].reliability;
    CHECK(two.racks_known);
    CHECK(two.parts.racks == 2);
    CHECK(two.note.empty());
    CHECK(two.outcome.useful_fraction < none.outcome.useful_fraction);
    // The run's summary says it under the reliability table.
    CHECK(output::summary_text(run).find("  no_racks: the profile 'independent_fleet_2024' has a rack MTBF") != std::string::npos);
}

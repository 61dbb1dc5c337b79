// The reliability model (sim/reliability): Young's and Daly's checkpoint intervals and Daly's
// useful-work fraction on hand-worked cases, the parts-list failure rate, the invariants (goodput
// never above throughput, more failures never more goodput), and the calibration against Meta's
// Llama 3 job (formulas.md, "Reliability"; docs/models/reliability.md).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "diag/diagnostic.hpp"
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
    const auto small = failure_rate(Parts{8, 1, 8, 1, 0, 8}, m);
    const auto large = failure_rate(Parts{16384, 2048, 16384, 1000, 38000, 35000}, m);
    CHECK(small.per_s == doctest::Approx(1.0 / (27.6 * 3600)));
    CHECK(large.per_s == small.per_s);
    CHECK(large.hardware_per_s == 0);
}

TEST_CASE("reliability: the job's failure rate is the sum of count / MTBF over its parts") {
    Parts p{16, 2, 16, 3, 20, 40};
    Mtbf m{1000, 2000, 4000, 0, 8000, 16000, 500};
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
    Parts p{16384, 2048, 16384, 1000, 38000, 35000};
    double last = 1.0;
    for (const double scale : {100.0, 10.0, 3.0, 1.0, 0.3, 0.1, 0.01}) {
        Mtbf m{79200 * 3600 * scale, 57700 * 3600 * scale, 3.03e6 * 3600 * scale, 0, 0, 1.29e6 * 3600 * scale, 337000 * 3600 * scale};
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

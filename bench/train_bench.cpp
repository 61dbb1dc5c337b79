// Measures the training plan search at scale (issue 6): a 1T-parameter dense model on 1,048,576
// accelerators (bench/scenarios/train-1t-1m.yaml), every plan of the default search space. Prints
// the time to build the graph, to set up the collective model, and to search, with plans evaluated
// per second. Budget: the whole search in at most 10 s on 2 cores. Build with the release preset:
//   cmake --build --preset release && ./build/release/bench/train_bench [--threads N] [SCENARIO]
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "run/runner.hpp"
#include "scenario/catalog_loader.hpp"
#include "scenario/scenario_loader.hpp"
#include "train/search.hpp"

#include "isolated_runs.hpp"

using namespace clustersim;
using clustersim::bench::clock_type;
using clustersim::bench::peak_rss_mib;
using clustersim::bench::seconds_since;

int main(int argc, char** argv) {
    std::string file = CLUSTERSIM_SOURCE_DIR "/bench/scenarios/train-1t-1m.yaml";
    std::size_t threads = 2;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc) {
            threads = static_cast<std::size_t>(std::atoi(argv[++i]));
        } else {
            file = a;
        }
    }
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    const auto cat = scenario::load_catalog(CLUSTERSIM_SOURCE_DIR "/models");
    const auto sc = scenario::load_scenario(file, cat);
    std::printf("training plan search, %zu threads (%u cores here)\n", threads, std::thread::hardware_concurrency());
    std::printf("%-22s %9s %8s %8s %8s %8s %9s %9s %9s %9s %8s  %s\n", "case", "chips", "graph s", "setup s", "search s",
                "total s", "plans", "feasible", "on graph", "plans/s", "peak MiB", "best plan");
    int status = 0;
    for (const auto& c : sc.cases) {
        if (!c.training) continue;
        const auto t0 = clock_type::now();
        auto graph = std::make_shared<const topo::Topology>(topo::build(c.job_network->params));
        const double graph_s = seconds_since(t0);
        const auto t1 = clock_type::now();
        auto made = run::make_training_cluster(*c.cluster.chip, c.cluster.chip_count, graph);
        if (auto* e = std::get_if<std::string>(&made)) {
            std::printf("%s: %s\n", c.name.c_str(), e->c_str());
            return 1;
        }
        const auto& cluster = *std::get<std::unique_ptr<train::TrainingCluster>>(made);
        const double setup_s = seconds_since(t1);
        const auto t2 = clock_type::now();
        const auto r = train::search(*c.training, cluster, train::default_space(*c.training, cluster));
        const double search_s = seconds_since(t2);
        const double total_s = seconds_since(t0);
        std::printf("%-22s %9lld %8.3f %8.3f %8.3f %8.3f %9lld %9lld %9lld %9.0f %8.0f  %s\n", c.name.c_str(),
                    static_cast<long long>(c.cluster.chip_count), graph_s, setup_s, search_s, total_s,
                    static_cast<long long>(r.evaluated), static_cast<long long>(r.feasible),
                    static_cast<long long>(r.exact_evaluations),
                    static_cast<double>(r.evaluated) / search_s, peak_rss_mib(),
                    r.best.empty() ? "none" : (train::describe(r.best.front().plan) + ", step " +
                                               std::to_string(r.best.front().time.step_s) + " s, MFU " +
                                               std::to_string(r.best.front().mfu)).c_str());
        if (total_s > 10.0) status = 1;
    }
    return status;
}

#pragma once
// The clustersim command line. The only place that maps errors to exit codes:
// 0 ok, 2 usage, 3 invalid scenario or catalog, 4 I/O, 5 validation targets missed (validate).
#include <ostream>
#include <string>
#include <vector>

#include "app/run_cmd.hpp"

namespace clustersim::app {

enum ExitCode : int { exit_ok = 0, exit_internal = 1, exit_usage = 2, exit_invalid = 3, exit_io = 4, exit_validation = 5 };

/// Runs the CLI on `args` (without the program name); writes to out and err; returns the exit code.
/// `ctx` says how the process was started (MPI rank, a terminal on stderr).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const RunContext& ctx = {});

}  // namespace clustersim::app

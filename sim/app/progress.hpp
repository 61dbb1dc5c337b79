#pragma once
// A progress line on a terminal: rows done of the total, rate, and time left, redrawn a few times
// a second by its own thread while workers count finished rows.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <ostream>
#include <thread>

namespace clustersim::app {

class Progress {
public:
    /// `done` rows were finished before this run (a resumed sweep); nothing is drawn when !enabled.
    Progress(std::ostream& err, std::size_t total, std::size_t done, bool enabled);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void add(std::size_t rows = 1) { done_.fetch_add(rows, std::memory_order_relaxed); }
    /// Draws the last line and ends it.
    void stop();

    /// "[============>           ] 51%  5,120/10,000 rows  812 rows/s  6 s left"; the rate counts
    /// the rows of this run only (not the `resumed` ones).
    static std::string line(std::size_t done, std::size_t total, std::size_t resumed, double elapsed_s);

private:
    void draw();
    std::ostream& err_;
    std::size_t total_;
    std::size_t resumed_;
    std::atomic<std::size_t> done_;
    bool enabled_;
    std::chrono::steady_clock::time_point start_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread ticker_;
};

}  // namespace clustersim::app

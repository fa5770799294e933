// EPSIM_CHECK: an invariant assertion that stays on in every build.
//
// Debian's Abseil (20220623) has no CHECK/LOG macros, so this is ours.
// A failed check throws epsim::CheckFailure carrying "file:line: Check failed:
// cond message". Throwing (rather than aborting) lets a simulation harness
// report the failure like any other violated check, with the seed that
// replays it, and keep a fuzz campaign going; an uncaught failure still ends
// the process with the message, like absl's CHECK.
//
//   EPSIM_CHECK(bal >= old_bal) << "ballot went down for " << id;
#ifndef EPSIM_BASE_CHECK_H_
#define EPSIM_BASE_CHECK_H_

#include <sstream>
#include <stdexcept>
#include <string>

namespace epsim {

class CheckFailure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace internal {

// Collects the streamed message and throws when destroyed.
class CheckFailureStream {
 public:
  CheckFailureStream(const char* file, int line, const char* condition) {
    stream_ << file << ":" << line << ": Check failed: " << condition << " ";
  }
  CheckFailureStream(const CheckFailureStream&) = delete;
  CheckFailureStream& operator=(const CheckFailureStream&) = delete;
  [[noreturn]] ~CheckFailureStream() noexcept(false) {
    throw CheckFailure(stream_.str());
  }
  template <typename T>
  CheckFailureStream& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets the macro be used as a statement with an optional << tail.
struct Voidify {
  void operator&(CheckFailureStream&) {}
  void operator&(CheckFailureStream&&) {}
};

}  // namespace internal
}  // namespace epsim

#define EPSIM_CHECK(condition)                                                \
  (condition)                                                                 \
      ? (void)0                                                               \
      : ::epsim::internal::Voidify() & ::epsim::internal::CheckFailureStream( \
                                           __FILE__, __LINE__, #condition)

#define EPSIM_CHECK_EQ(a, b) EPSIM_CHECK((a) == (b))
#define EPSIM_CHECK_LE(a, b) EPSIM_CHECK((a) <= (b))
#define EPSIM_CHECK_LT(a, b) EPSIM_CHECK((a) < (b))
#define EPSIM_CHECK_GE(a, b) EPSIM_CHECK((a) >= (b))

#endif  // EPSIM_BASE_CHECK_H_

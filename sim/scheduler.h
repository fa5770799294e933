// Who decides when a sent message arrives and when a timer fires.
//
// The World hands every sent message and every set timer to its Scheduler.
// Protocol code never sees which one runs, so swapping schedulers needs no
// change to it (docs/design.md, "Two schedulers, one world"):
//
// - TimedScheduler (the default): the network model decides. Each message
//   is transmitted with loss, duplication and a delay from the topology plus
//   jitter; partitions and cuts are checked when it arrives; timers fire at
//   their due time.
// - ChoiceScheduler: every message and timer waits as a pending choice until
//   an outside driver (a scenario's message-level script: the bug corpus,
//   the branch scenarios, an explorer schedule converted with --scenario)
//   delivers, drops or fires it. The driver is the network then: loss,
//   duplication, jitter, partitions and cuts do not apply; crashes and pauses
//   still do. Simulated time only moves through World::RunUntil and events
//   scheduled with World::At.
#ifndef EPSIM_SIM_SCHEDULER_H_
#define EPSIM_SIM_SCHEDULER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/payload.h"
#include "sim/time.h"

namespace epsim::sim {

class World;

// One message in flight. A duplicate is a separate envelope with its own id.
struct Envelope {
  uint64_t id = 0;  // unique per World, in order of sending
  NodeId from = 0;
  NodeId to = 0;
  // The receiver's crash count when the message was sent: a message sent
  // before the receiver crashed never reaches its next incarnation.
  uint32_t receiver_epoch = 0;
  uint32_t attempts = 0;  // transmissions so far (reliable retransmissions)
  Time sent = 0;
  PayloadPtr payload;
};

// One timer that has been set and not yet fired or cancelled.
struct TimerRecord {
  TimerId id = 0;
  NodeId node = 0;
  uint32_t epoch = 0;  // the node's crash count when set
  uint64_t tag = 0;
  Time due = 0;
  uint64_t sequence = 0;  // creation order, shared with messages' ordering
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view Name() const = 0;

  // A message has just been sent (World::Send).
  virtual void OnSend(Envelope envelope, uint64_t sequence) = 0;
  // A timer has just been set (World::SetTimer).
  virtual void OnTimerSet(const TimerRecord& timer) = 0;
  virtual void OnTimerCancelled(TimerId /*id*/) {}
  // A paused node resumed: what waited for it is due now. `sequence` is the
  // item's original creation sequence.
  virtual void OnReleaseMessage(Envelope envelope, uint64_t sequence) = 0;
  virtual void OnReleaseTimer(const TimerRecord& timer) = 0;
  // A node crashed: forget what was addressed to it.
  virtual void OnCrash(NodeId /*node*/) {}

 protected:
  explicit Scheduler(World& world) : world_(world) {}
  World& world() { return world_; }

  // Hooks into the World, for schedulers only.
  // The timed network: loss, duplication, delay; queues the arrival.
  void Transmit(Envelope envelope);
  // Hands a message to its receiver now: dropped if the receiver crashed
  // since it was sent, held if the receiver is paused.
  void ArriveNow(Envelope envelope, uint64_t sequence);
  // Queues a timer to fire at `at` (>= now).
  void QueueTimer(const TimerRecord& timer, Time at);
  // Queues a message to reach its receiver at `at`, bypassing the network.
  void QueueArrival(Envelope envelope, Time at);
  // Fires a timer now (nothing if it was cancelled or its node crashed).
  void FireNow(const TimerRecord& timer);
  // Records a message dropped by a driver or a crash.
  void DropMessage(const Envelope& envelope, std::string_view reason);

 private:
  World& world_;
};

class TimedScheduler final : public Scheduler {
 public:
  explicit TimedScheduler(World& world) : Scheduler(world) {}
  std::string_view Name() const override { return "timed"; }
  void OnSend(Envelope envelope, uint64_t sequence) override;
  void OnTimerSet(const TimerRecord& timer) override;
  void OnReleaseMessage(Envelope envelope, uint64_t sequence) override;
  void OnReleaseTimer(const TimerRecord& timer) override;
};

// One thing a driver may do next.
struct PendingChoice {
  enum class Kind { kMessage, kTimer };
  int index = 0;  // position in Pending(); pass to Deliver/Drop/Fire
  Kind kind = Kind::kMessage;
  NodeId from = 0;        // timers: the timer's node
  NodeId to = 0;          // timers: the timer's node
  std::string_view type;  // payload Type(), or "timer"
  PayloadPtr payload;     // null for timers
  uint64_t message_id = 0;
  TimerId timer = 0;
  uint64_t tag = 0;  // timers only
  Time since = 0;    // when it was sent or set
};

class ChoiceScheduler final : public Scheduler {
 public:
  explicit ChoiceScheduler(World& world) : Scheduler(world) {}
  std::string_view Name() const override { return "choice"; }

  // Every pending message and timer, in creation order (deterministic).
  // Indices are valid until the next change to the world.
  std::vector<PendingChoice> Pending() const;
  int PendingCount() const { return static_cast<int>(items_.size()); }
  // Delivers pending message i now.
  void Deliver(int i);
  // Loses pending message i, or cancels pending timer i.
  void Drop(int i);
  // Fires pending timer i now.
  void Fire(int i);
  // Deliver or Fire, whichever item i is.
  void Execute(int i);

  void OnSend(Envelope envelope, uint64_t sequence) override;
  void OnTimerSet(const TimerRecord& timer) override;
  void OnTimerCancelled(TimerId id) override;
  void OnReleaseMessage(Envelope envelope, uint64_t sequence) override;
  void OnReleaseTimer(const TimerRecord& timer) override;
  void OnCrash(NodeId node) override;

 private:
  struct Item {
    uint64_t sequence = 0;
    bool is_timer = false;
    Envelope envelope;
    TimerRecord timer;
  };
  void Insert(Item item);
  Item Take(int i);

  std::vector<Item> items_;  // sorted by sequence
};

}  // namespace epsim::sim

#endif  // EPSIM_SIM_SCHEDULER_H_

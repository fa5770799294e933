// The deterministic simulated world: nodes at sites, a network between them,
// timers, faults, and one event loop ordered by (time, sequence number).
//
// A run is a pure function of the seed, the topology, the configuration and
// what the nodes do: nothing here reads a clock, starts a thread or iterates
// a hash container. Every event feeds a running 64-bit trace hash; with a
// sink set, every event is also written as one JSON object per line.
//
//   World world(seed, Topology::Uniform("lan", 3, 0.4), NetworkConfig{});
//   NodeId a = world.AddNode("r0", 0, &replica0);
//   world.At(5 * kSecond, [&] { world.Crash(a); }, "crash r0");
//   world.RunUntil(60 * kSecond);
//
// Faults take effect when called; schedule them with At(). Node failure
// model:
// - Crash: the node stops. Messages addressed to it that have not arrived
//   are lost (even if it restarts before they would have), its timers
//   vanish, OnCrash() is called. Messages it already sent still arrive.
// - Restart: OnRestart() is called; the process decides what it remembers.
// - Pause: the node keeps its state but runs nothing; messages and timers
//   due meanwhile wait and happen, in order, right after Resume.
#ifndef EPSIM_SIM_WORLD_H_
#define EPSIM_SIM_WORLD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sim/network.h"
#include "sim/payload.h"
#include "sim/process.h"
#include "sim/random.h"
#include "sim/scheduler.h"
#include "sim/time.h"
#include "sim/topology.h"

namespace epsim::sim {

// One delivery, for observers (`epsim replay --verbose`).
struct DeliveryEvent {
  NodeId from = 0;
  NodeId to = 0;
  Time time = 0;  // when it was delivered
  Time sent = 0;
  uint64_t message_id = 0;
  const PayloadPtr& payload;
};

class World {
 public:
  struct Stats {
    uint64_t events = 0;  // events executed (stale timers not counted)
    uint64_t messages_sent = 0;
    uint64_t delivered = 0;
    uint64_t dropped = 0;  // lost for good: lossy loss, crash, driver's Drop
    uint64_t duplicated = 0;
    uint64_t retransmitted = 0;  // reliable links' re-attempts
    uint64_t timers_set = 0;
    uint64_t timers_fired = 0;
  };

  World(uint64_t seed, Topology topology, NetworkConfig config);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // --- Set-up --------------------------------------------------------------
  // Adds a node at `site` (an index into the topology's sites) driven by
  // `process` (not owned; must outlive the world's use of it).
  NodeId AddNode(std::string name, int site, Process* process);
  // Switches to the choice scheduler (scheduler.h). Call before anything is
  // sent or any timer set. The returned reference lives as long as the world.
  ChoiceScheduler& UseChoiceScheduler();
  // The choice scheduler, or null under the timed one.
  ChoiceScheduler* choice() { return choice_; }
  const Scheduler& scheduler() const { return *scheduler_; }

  // --- What nodes (and the harness on their behalf) do ---------------------
  Time Now() const { return now_; }
  // The run's general-purpose generator (the network draws from its own
  // fork, so protocol randomness and network randomness do not shift each
  // other).
  Rng& rng() { return rng_; }
  // Sends a copy (the shared immutable payload) from one node to another.
  // Ignored if `from` is crashed.
  void Send(NodeId from, NodeId to, PayloadPtr payload);
  // Fires process->OnTimer(id, tag) on `node` after `after` (>= 0), unless
  // cancelled or the node crashes first.
  TimerId SetTimer(NodeId node, Duration after, uint64_t tag);
  // Cancelling a fired, cancelled or unknown timer does nothing.
  void CancelTimer(NodeId node, TimerId id);
  // An external event (fault, client think time) at `when` >= Now(),
  // ordered with everything else by (time, sequence).
  void At(Time when, std::function<void()> action, std::string label);

  // --- Faults, taking effect now -------------------------------------------
  void Crash(NodeId node);    // no-op if already crashed
  void Restart(NodeId node);  // no-op unless crashed
  void Pause(NodeId node);    // no-op if crashed or paused
  void Resume(NodeId node);   // no-op unless paused
  // Nodes in different groups cannot exchange messages; nodes not listed
  // together form one more group. Replaces any earlier partition (cuts stay).
  void Partition(std::vector<std::vector<NodeId>> groups);
  // Ends the partition and every one-way cut: the network is whole again
  // (slowdowns, loss and jitter stay as set).
  void HealPartition();
  // One-way: messages from `from` to `to` cannot pass until restored.
  void CutLink(NodeId from, NodeId to);
  void RestoreLink(NodeId from, NodeId to);
  void SetLoss(double probability);
  void SetDuplication(double probability);
  void SetJitter(JitterSpec jitter);
  // Multiplies the delay between a and b, both directions (1 = normal).
  void SetSlowdown(NodeId a, NodeId b, double factor);
  // For every link without its own kind.
  void SetLinkKind(LinkKind kind);
  // For one direction of one link.
  void SetLinkKind(NodeId from, NodeId to, LinkKind kind);

  // --- Queries --------------------------------------------------------------
  bool IsCrashed(NodeId node) const;
  bool IsPaused(NodeId node) const;
  int NodeCount() const { return static_cast<int>(nodes_.size()); }
  int SiteOf(NodeId node) const;
  const std::string& NameOf(NodeId node) const;
  const Topology& topology() const { return topology_; }
  const NetworkConfig& config() const { return config_; }
  // Whether a message from `from` to `to` would pass now (partition, cut).
  bool CanReach(NodeId from, NodeId to) const;
  LinkKind LinkKindOf(NodeId from, NodeId to) const;
  // Base one-way delay: topology or same-site delay, slowdown applied, plus
  // the processing delay; no jitter.
  Duration BaseDelay(NodeId from, NodeId to) const;

  // --- Running
  // ---------------------------------------------------------------- Executes
  // the next event; false when there is none.
  bool Step();
  // Executes every event with time <= end, then sets Now() to end (if later).
  void RunUntil(Time end);
  // Nothing queued. (Under the choice scheduler, pending choices wait for
  // the driver and do not count.)
  // (Not const: drops cancelled timers from the queue first.)
  bool Idle();
  // Time of the next queued event, or -1.
  Time NextEventTime();

  // --- Observation
  // ------------------------------------------------------------
  uint64_t TraceHash() const { return trace_hash_; }
  // JSON Lines, one object per event; null turns it off. Not owned. Every
  // line has "t" (time) and "ev", one of: send, deliver, drop (with
  // "reason"), duplicate ("of"), lost and blocked (a reliable link will
  // retransmit), retransmit, hold (receiver paused), set_timer,
  // cancel_timer, timer, hold_timer, action ("label"), crash, restart,
  // pause, resume, partition ("groups"), heal, cut, restore, loss,
  // duplication, jitter, slowdown, link_kind. Message lines carry "msg",
  // "from", "to", "type" (and "desc" for send and deliver).
  void SetTraceSink(std::ostream* out) { trace_ = out; }
  void SetDeliveryObserver(std::function<void(const DeliveryEvent&)> f) {
    delivery_observer_ = std::move(f);
  }
  const Stats& stats() const { return stats_; }

 private:
  friend class Scheduler;

  enum class EventKind : uint8_t {
    kArrival,     // through the network: partition/cut checked first
    kDelivery,    // straight to the receiver (released, or queued directly)
    kRetransmit,  // reliable link: transmit again
    kTimer,
    kAction,
  };
  // A queue entry stays small (24 bytes) so heap moves are cheap; what an
  // event carries lives in a slab: messages_ for kArrival, kDelivery and
  // kRetransmit, timers_ for kTimer, actions_ for kAction.
  struct Event {
    Time time;
    uint64_t sequence;
    uint32_t slot;
    EventKind kind;
  };
  struct EventAfter {
    bool operator()(const Event& a, const Event& b) const {
      if (a.time != b.time) return a.time > b.time;
      return a.sequence > b.sequence;
    }
  };
  struct Held {
    uint64_t sequence;
    bool is_timer;
    Envelope envelope;
    TimerRecord timer;
  };
  struct Node {
    std::string name;
    int site = 0;
    Process* process = nullptr;
    bool crashed = false;
    bool paused = false;
    uint32_t epoch = 0;      // crash count
    std::vector<Held> held;  // while paused
  };
  struct Action {
    std::function<void()> run;
    std::string label;
  };

  // On every send: the test inline, the report out of line.
  void CheckNode(NodeId node, const char* what) const {
    if (node < 0 || node >= NodeCount()) NoSuchNode(node, what);
  }
  [[noreturn]] void NoSuchNode(NodeId node, const char* what) const;
  void Push(Time time, EventKind kind, uint32_t slot);
  Event PopNext();
  // Moves queue_[i] down to its place in the heap.
  void SiftDown(size_t i);
  uint32_t StoreMessage(Envelope envelope);
  Envelope TakeMessage(uint32_t slot);
  uint32_t StoreTimer(const TimerRecord& timer);
  TimerRecord TakeTimer(uint32_t slot);
  // Drops cancelled or orphaned timers from the top of the queue.
  void PruneStale();
  // Drops every cancelled or orphaned timer from the queue (a protocol that
  // sets and cancels a timeout per command leaves many behind, each making
  // every push and pop deeper). Not observable: stale timers never fire.
  void CompactQueue();
  // Set and not yet fired, cancelled or dropped.
  bool TimerLive(TimerId id) const {
    return id >= timer_base_ && id - timer_base_ < timer_live_.size() &&
           timer_live_[id - timer_base_] != 0;
  }
  // Marks `id` dead; returns whether it was live.
  bool KillTimer(TimerId id);
  Duration Delay(NodeId from, NodeId to);  // with jitter, draws
  void Transmit(Envelope envelope);
  void QueueArrival(Envelope envelope, Time at, EventKind kind);
  void OnArrival(Envelope envelope, uint64_t sequence);
  void ArriveNow(Envelope envelope, uint64_t sequence);
  bool ReceiverGone(const Envelope& envelope) const;
  void DropMessage(const Envelope& envelope, std::string_view reason);
  void QueueTimer(const TimerRecord& timer, Time at);
  bool TimerStale(const TimerRecord& timer) const;
  // False if the timer was stale (cancelled, or its node crashed).
  bool FireTimer(const TimerRecord& timer);
  size_t LinkIndex(NodeId from, NodeId to) const {
    return static_cast<size_t>(from) * nodes_.size() + static_cast<size_t>(to);
  }
  void ResizeLinks();

  // Trace: every event feeds the hash; lines are written only with a sink.
  void Hash(uint64_t value);
  // One event's fields folded into the hash with a single mixing step.
  void HashEvent(uint64_t code, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
  void TraceMessage(uint64_t code, std::string_view event,
                    const Envelope& envelope, std::string_view extra_key = {},
                    std::string_view extra_value = {});
  void TraceTimer(uint64_t code, std::string_view event,
                  const TimerRecord& timer);
  void TraceNode(uint64_t code, std::string_view event, NodeId node);
  void TraceLink(uint64_t code, std::string_view event, NodeId from, NodeId to,
                 std::string_view extra_fields);
  void TraceSetting(uint64_t code, std::string_view event,
                    std::string_view extra_fields);
  void TraceLine(const std::string& json_object);

  Topology topology_;
  NetworkConfig config_;
  Rng rng_;
  Rng net_rng_;
  Time now_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t next_message_id_ = 1;
  TimerId next_timer_id_ = 1;

  std::vector<Event> queue_;  // 4-ary heap by EventAfter (world.cc)
  std::vector<Envelope> messages_;
  std::vector<uint32_t> free_messages_;
  std::vector<TimerRecord> timers_;
  std::vector<uint32_t> free_timers_;
  std::vector<Node> nodes_;
  std::vector<Action> actions_;
  std::vector<uint32_t> free_actions_;
  // Timer ids are handed out in order, so liveness is a byte per id from
  // timer_base_ on (the prefix of dead ids is trimmed as it grows).
  std::vector<uint8_t> timer_live_;
  TimerId timer_base_ = 1;
  size_t trim_timers_at_ = 4096;
  // Cancellations since the queue was last compacted.
  size_t cancelled_since_compaction_ = 0;

  // Per ordered node pair, index LinkIndex(from, to).
  std::vector<uint8_t> cut_;
  std::vector<double> slowdown_;
  std::vector<int8_t> link_kind_;     // -1: the global kind
  std::vector<Duration> site_delay_;  // [site_from * sites + site_to]
  bool partitioned_ = false;
  std::vector<int> group_;  // per node, while partitioned

  std::unique_ptr<Scheduler> scheduler_;
  ChoiceScheduler* choice_ = nullptr;

  uint64_t trace_hash_ = 0;
  std::ostream* trace_ = nullptr;
  std::function<void(const DeliveryEvent&)> delivery_observer_;
  Stats stats_;
};

}  // namespace epsim::sim

#endif  // EPSIM_SIM_WORLD_H_

// Patterns every user of a Disk needs, written once.
//
// replace_atomically(): the only safe way to replace a small file's contents so that a
// crash leaves the old or the new contents, never a mix or nothing: write a temporary
// file, sync it, rename it over the name, sync the directory. `done` runs once the new
// contents and the rename are durable, or with the first error (then the name still holds
// its old contents, and the temporary file may be left behind: the next replace
// overwrites it).
//
// append_pieces(): streams a blob that need not fit in memory onto the end of a file, one
// bounded piece at a time: the next piece is asked for only after the previous one was
// appended, so at most one piece is held at once. It does not sync: follow it with
// sync(), and (to publish the blob under its final name) rename() and sync_dir().
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/runtime/disk.h"

namespace cairn {

// InvalidArgument if `bytes` has a virtual part (a length only): disks store real bytes.
// Every Disk implementation checks this before storing a payload.
absl::Status check_storable(const std::string& name, const Payload& bytes);

// The temporary name replace_atomically() writes before renaming ("<name>.tmp").
std::string temp_name_for(const std::string& name);

void replace_atomically(Disk& disk, const std::string& name, Payload bytes, Disk::Done done);

// Returns the next piece, or nullopt when the blob is complete.
using NextPiece = std::function<std::optional<Payload>()>;
// Appends every piece `next` gives to `name` (creating it if needed), in order. On an
// error, stops asking for pieces and reports it; the file then holds the pieces before.
// No pieces at all creates an empty file. `done` runs later, never inline.
void append_pieces(Disk& disk, const std::string& name, NextPiece next, Disk::Done done);

}  // namespace cairn

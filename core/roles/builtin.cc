#include "core/roles/builtin.h"

#include "core/base/assert.h"
#include "core/client/roles.h"
#include "core/kv/roles.h"
#include "core/membership/role.h"
#include "core/meta/roles.h"
#include "core/storage/roles.h"

namespace cairn {

RoleRegistry builtin_roles() {
  RoleRegistry r;
  for (RoleInfo role :
       {membership::role(), meta::meta_role(), kv::client_role(), storage::storage_role(),
        storage::chunk_client_role(), client::file_client_role()}) {
    const absl::Status st = r.add(std::move(role));
    CAIRN_ASSERT(st.ok());
  }
  return r;
}

}  // namespace cairn

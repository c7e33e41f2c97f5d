#include "labs/labs.h"

#include "core/base/assert.h"
#include "core/roles/builtin.h"
#include "labs/primary-backup/roles.h"

namespace cairn::labs {

RoleRegistry roles_with_labs() {
  RoleRegistry r = builtin_roles();
  for (RoleInfo role : {pb::server_role(), pb::view_role()}) {
    const absl::Status st = r.add(std::move(role));
    CAIRN_ASSERT(st.ok());
  }
  return r;
}

}  // namespace cairn::labs

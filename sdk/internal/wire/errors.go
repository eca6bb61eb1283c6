package wire

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// codeOf maps the sentinels of package spec to status codes; toStatus and
// fromStatus read the same table so the two sides cannot drift.
var codeOf = []struct {
	sentinel error
	code     codes.Code
}{
	{spec.ErrNotFound, codes.NotFound},
	{spec.ErrAlreadyExists, codes.AlreadyExists},
	{spec.ErrPermission, codes.PermissionDenied},
	{spec.ErrUnauthenticated, codes.Unauthenticated},
	{spec.ErrNoSpace, codes.ResourceExhausted},
	{spec.ErrUnavailable, codes.Unavailable},
	{spec.ErrUnsupported, codes.Unimplemented},
	{spec.ErrInvalidArgument, codes.InvalidArgument},
	{context.Canceled, codes.Canceled},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
}

// toStatus turns a plugin's error into a gRPC status error. An invalid
// configuration carries its field errors as a status detail.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	var ve *spec.ValidationError
	if errors.As(err, &ve) {
		st := status.New(codes.InvalidArgument, err.Error())
		if withDetails, derr := st.WithDetails(&pb.ValidateConfigResponse{Errors: fieldErrorsToPB(ve.Fields)}); derr == nil {
			st = withDetails
		}
		return st.Err()
	}
	for _, m := range codeOf {
		if errors.Is(err, m.sentinel) {
			return status.Error(m.code, err.Error())
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

// RemoteError is an error a plugin returned, carried across the boundary. Its
// message is the plugin's; errors.Is matches the spec sentinel it stood for.
type RemoteError struct {
	Code     codes.Code
	Message  string
	sentinel error
}

func (e *RemoteError) Error() string { return e.Message }
func (e *RemoteError) Unwrap() error { return e.sentinel }

// fromStatus turns a status error received from a plugin back into the error
// the plugin returned. Errors that are not statuses pass through.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.InvalidArgument {
		for _, d := range st.Details() {
			if v, ok := d.(*pb.ValidateConfigResponse); ok {
				return &spec.ValidationError{Fields: fieldErrorsFromPB(v.GetErrors())}
			}
		}
	}
	re := &RemoteError{Code: st.Code(), Message: st.Message()}
	for _, m := range codeOf {
		if m.code == st.Code() {
			re.sentinel = m.sentinel
			break
		}
	}
	if re.Message == "" {
		re.Message = fmt.Sprintf("plugin answered %s", st.Code())
	}
	return re
}

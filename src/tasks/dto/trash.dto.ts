import { ApiProperty } from '@nestjs/swagger';
import { TaskResponse } from './task.dto';

/** A task in the trash: as it was when it went, and when. */
export class TrashedTaskResponse extends TaskResponse {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'Null when its list has been deleted since (a restore puts it in your default list)',
  })
  declare list_id: string;

  @ApiProperty({ format: 'date-time', description: 'When it went to the trash' })
  deleted_at: string;
}
